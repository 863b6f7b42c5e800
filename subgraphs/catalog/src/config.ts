import { z } from 'zod';
import { env, loadConfig, servicesSchema } from '@tonegraph/config';
import { DEFAULT_QUEUE_PREFIX, DEFAULT_SCAN_QUEUE } from '@tonegraph/queues';

const schema = servicesSchema.pick({ DATABASE_URL: true, AMQP_URL: true, REDIS_URL: true }).extend({
  PORT: env.port(4001),
  /** Subgraphs are reached through the gateway only: loopback by default. */
  HOST: z.string().default('127.0.0.1'),
  /** Share PORT with another instance (SO_REUSEPORT, Linux): start the new one, then SIGTERM the old. */
  REUSE_PORT: env.bool(false),
  /** PostgreSQL connections in the pool. */
  DB_POOL_SIZE: env.int(30, 1, 500),
  /** Folders under which libraries may be added (comma-separated absolute paths). */
  LIBRARY_ALLOWED_ROOTS: env.list().default([]),
  /** Durable queue that carries scan requests to the ingest workers. */
  SCAN_QUEUE: z.string().default(DEFAULT_SCAN_QUEUE),
  /** Ingest's queue prefix (the same variable): `enrichTracks` re-queues tracks on `<QUEUE_PREFIX>.enrichment`. */
  QUEUE_PREFIX: z.string().default(DEFAULT_QUEUE_PREFIX),
  /** Base of `Album.coverArt` URLs: the gateway's cover route (absolute, or relative to the gateway). */
  COVER_BASE_URL: z.string().default('/covers'),
  /** Prefix of the Redis channels ingest publishes progress on. */
  REDIS_PREFIX: z.string().default('tonegraph:'),
  /** Shared with the gateway: requests without it get 401 (unset: development, unsigned accepted). */
  SUBGRAPH_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  /**
   * Signs the `Track.streamUrl` URLs (at least 16 characters); the gateway verifies them with the same
   * value. Unset: `streamUrl` fails with STREAM_URLS_DISABLED (`npm start` makes one per run).
   */
  STREAM_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  /** How long a `Track.streamUrl` URL stays valid, in seconds (default 6 hours). */
  STREAM_URL_TTL_S: env.int(21_600, 1),
  /**
   * Key under which listeners' passwords are stored encrypted (`createUser`), shared with the
   * Subsonic service and the `tonegraph user` command. Unset: a development default (warned about in
   * production).
   */
  SUBSONIC_PASSWORD_KEY: z.string().min(16, 'use at least 16 characters').optional(),
  /** `production` warns about a missing SUBSONIC_PASSWORD_KEY. */
  TONEGRAPH_ENV: z.enum(['development', 'production']).default('development'),
  LOG_LEVEL: env.logLevel(),
});

export type CatalogConfig = z.output<typeof schema>;

export const loadCatalogConfig = (): CatalogConfig => loadConfig('catalog', schema);
