import { z } from 'zod';
import { ANALYZER_VERSION } from '@tonegraph/audio-analysis';
import { env, loadConfig, servicesSchema } from '@tonegraph/config';

const schema = servicesSchema.pick({ MONGO_URL: true, REDIS_URL: true }).extend({
  /** Database holding the `analyses` and `tracks` collections. */
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'expected a MongoDB database name')
    .default('tonegraph'),
  /** MongoDB connections in the pool (20–50 is the sizing target). */
  MONGO_POOL_SIZE: env.int(30, 1, 500),
  /**
   * The analyser version whose results are served; default: the version of
   * the analyser this build ships, which is what ingest stores.
   */
  ANALYZER_VERSION: z.string().min(1).default(ANALYZER_VERSION),
  /** Longest a database read for a GraphQL request may run, in ms (MongoDB `maxTimeMS`); 0: no bound. */
  ANALYSIS_QUERY_TIMEOUT_MS: env.millis(10_000),
  PORT: env.port(4002),
  /** Subgraphs are reached through the gateway only: loopback by default. */
  HOST: z.string().default('127.0.0.1'),
  /** Share PORT with another instance (SO_REUSEPORT, Linux): start the new one, then SIGTERM the old. */
  REUSE_PORT: env.bool(false),
  /** Prefix of the Redis channels ingest publishes on. */
  REDIS_PREFIX: z.string().default('tonegraph:'),
  /** Shared with the gateway: requests without it get 401 (unset: development, unsigned accepted). */
  SUBGRAPH_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  LOG_LEVEL: env.logLevel(),
});

export type AnalysisConfig = z.output<typeof schema>;

export const loadAnalysisConfig = (): AnalysisConfig => loadConfig('analysis', schema);
