import { z } from 'zod';
import { env, loadConfig, servicesSchema } from '@tonegraph/config';
import { DEFAULT_SCAN_QUEUE } from '@tonegraph/queues';

const schema = servicesSchema.pick({ DATABASE_URL: true, AMQP_URL: true }).extend({
  PORT: env.port(4005),
  /** Reached through the gateway's /rest/ proxy: loopback by default. */
  HOST: z.string().default('127.0.0.1'),
  /** PostgreSQL connections in the pool (the catalog's database, through its store API). */
  DB_POOL_SIZE: env.int(10, 1, 500),
  /**
   * Key under which user passwords are stored encrypted (AES-256-GCM); the
   * catalog and the `tonegraph user` command must use the same. Unset: a
   * development default, with a warning in production.
   */
  SUBSONIC_PASSWORD_KEY: z.string().min(16, 'use at least 16 characters').optional(),
  /** `production` warns about a missing SUBSONIC_PASSWORD_KEY. */
  TONEGRAPH_ENV: z.enum(['development', 'production']).default('development'),
  /** Durable queue of scan requests (`startScan`); the catalog's setting of the same name. */
  SCAN_QUEUE: z.string().default(DEFAULT_SCAN_QUEUE),
  /** The library-graph subgraph, for getSimilarSongs2. */
  LIBRARY_GRAPH_URL: env.url(['http', 'https']).default('http://127.0.0.1:4003/graphql'),
  /** Signs the requests to the library-graph subgraph, as the gateway does. */
  SUBGRAPH_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  /** Album covers stored by ingest (its COVER_DIR), for getCoverArt. */
  COVER_DIR: z.string().default('.covers'),
  /** Transcodes running at once, at most (stream with format/maxBitRate); default: the cores. */
  STREAM_MAX_TRANSCODES: env.int(0, 0),
  LOG_LEVEL: env.logLevel(),
});

export type SubsonicConfig = z.output<typeof schema>;

export const loadSubsonicConfig = (): SubsonicConfig => loadConfig('subsonic', schema);
