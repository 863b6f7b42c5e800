import type { z } from 'zod';

/** One rejected environment variable. */
export interface ConfigIssue {
  readonly key: string;
  readonly message: string;
}

/** Thrown by {@link parseConfig} with every bad value at once, not just the first. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(service: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.key}: ${i.message}`);
    super(`${service}: invalid configuration\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses `env` with `schema` into a frozen object, or throws a ConfigError
 * listing every invalid variable. Empty strings count as unset so that
 * `FOO=` in an .env file falls back to the default.
 */
export function parseConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Env,
): Readonly<z.output<S>> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      key: issue.path.map(String).join('.') || '(root)',
      message: issue.message,
    }));
    throw new ConfigError(service, issues);
  }
  return Object.freeze(result.data);
}

/**
 * The one place a service reads `process.env`: parses it, and on bad values
 * prints every problem to stderr and exits with status 1.
 */
export function loadConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Env = process.env,
): Readonly<z.output<S>> {
  try {
    return parseConfig(service, schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
