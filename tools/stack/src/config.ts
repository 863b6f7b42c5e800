import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { env, loadConfig } from '@tonegraph/config';

/** The repository root: two levels above tools/stack/src. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const schema = z.object({
  /** Where every server keeps its data, logs and pid files; git-ignored. */
  STACK_DIR: z.string().default(path.join(repoRoot, '.stack')),
  /** Where built servers (FerretDB) and build stamps go; default <STACK_DIR>/bin. A private stack shares the main one's. */
  STACK_BIN_DIR: z.string().optional(),
  STACK_POSTGRES_PORT: env.port(55432),
  STACK_REDIS_PORT: env.port(56379),
  STACK_RABBITMQ_PORT: env.port(55672),
  STACK_RABBITMQ_DIST_PORT: env.port(55673),
  STACK_EPMD_PORT: env.port(54369),
  STACK_MONGO_PORT: env.port(57017),
  STACK_NEO4J_PORT: env.port(57687),
  /** Java heap for the embedded Neo4j. */
  STACK_NEO4J_HEAP: z
    .string()
    .regex(/^\d+[mg]$/, 'expected e.g. 512m or 1g')
    .default('768m'),
  /** Seconds to wait for one server to become healthy. */
  STACK_START_TIMEOUT: env.int(120),
  // A URL set here means "use that server, start nothing".
  DATABASE_URL: z.string().optional(),
  MONGO_URL: z.string().optional(),
  NEO4J_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  AMQP_URL: z.string().optional(),
});

export type StackConfig = z.output<typeof schema>;

export const config: StackConfig = loadConfig('stack', schema);
