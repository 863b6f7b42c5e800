import { z } from 'zod';

/** A TCP port number, from a string. */
export const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);

/** A positive integer, from a string, within bounds. */
export const int = (fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** A duration in milliseconds, from a string. */
export const millis = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/** `true/false/1/0/yes/no`, from a string. */
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], {
      error: 'expected one of true, false, 1, 0, yes, no',
    })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .default(fallback);

/** A URL whose scheme is one of `protocols` (without the colon). */
export const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `expected a URL with scheme ${protocols.join(' or ')}` },
  );

/** A comma-separated list of non-empty strings. */
export const list = () =>
  z.string().transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** A pino log level. */
export const logLevel = () =>
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
