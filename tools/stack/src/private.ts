import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@tonegraph/testing';
import { repoRoot } from './config.ts';

const execFileAsync = promisify(execFile);
const cli = path.join(import.meta.dirname, 'cli.ts');

export type ServiceName = 'postgres' | 'redis' | 'rabbitmq' | 'ferretdb' | 'neo4j';

/** A stack of its own for a test that restarts servers: the shared one stays up for everyone else. */
export interface PrivateStack {
  /** DATABASE_URL, AMQP_URL, … of the private servers. */
  readonly env: Readonly<Record<string, string>>;
  start(name: ServiceName): Promise<void>;
  stop(name: ServiceName): Promise<void>;
  /** Stops every server and deletes the data. Idempotent. */
  destroy(): Promise<void>;
}

const URL_VARS = ['DATABASE_URL', 'MONGO_URL', 'NEO4J_URL', 'REDIS_URL', 'AMQP_URL'];

/**
 * Starts private instances of `names` (own data folder under the temp dir,
 * own free ports) with the stack's CLI, so a test can stop and restart them.
 */
export async function startPrivateStack(names: readonly ServiceName[]): Promise<PrivateStack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-stack-'));
  const stackEnv: NodeJS.ProcessEnv = {
    ...process.env,
    STACK_DIR: dir,
    // The servers built for the main stack (FerretDB) serve here too.
    STACK_BIN_DIR: process.env.STACK_BIN_DIR ?? path.join(repoRoot, '.stack', 'bin'),
    STACK_START_TIMEOUT: '90',
  };
  // Set URL variables mean "external server": the private CLI must manage its own.
  for (const v of URL_VARS) delete stackEnv[v];
  for (const v of [
    'STACK_POSTGRES_PORT',
    'STACK_REDIS_PORT',
    'STACK_RABBITMQ_PORT',
    'STACK_RABBITMQ_DIST_PORT',
    'STACK_EPMD_PORT',
    'STACK_MONGO_PORT',
    'STACK_NEO4J_PORT',
  ]) {
    let port = await freePort();
    while (Object.values(stackEnv).includes(String(port))) port = await freePort();
    stackEnv[v] = String(port);
  }
  const stack = async (...args: string[]) => {
    const { stdout } = await execFileAsync(process.execPath, [cli, ...args], {
      env: stackEnv,
      maxBuffer: 1 << 20,
    });
    return stdout;
  };
  await stack('up', ...names);
  const env = Object.fromEntries(
    (await stack('env'))
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string])
      .filter(([key]) => URL_VARS.includes(key)),
  );
  let destroyed: Promise<void> | undefined;
  return {
    env,
    start: async (name) => void (await stack('up', name)),
    stop: async (name) => void (await stack('down', name)),
    destroy() {
      destroyed ??= stack('down', ...names).then(
        () => rm(dir, { recursive: true, force: true }),
        () => rm(dir, { recursive: true, force: true }),
      );
      return destroyed;
    },
  };
}
