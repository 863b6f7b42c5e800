import { drizzle } from 'drizzle-orm/postgres-js';
import type { Logger } from '@tonegraph/logger';
import { type SubgraphServer, createSubgraphServer, subgraphSchemaFrom } from '@tonegraph/subgraph-server';
import type { Context, StreamUrlOptions } from './context.ts';
import { cancelWithRequest } from './db/cancel.ts';
import type { Database } from './db/client.ts';
import * as dbSchema from './db/schema.ts';
import { mountExport } from './export.ts';
import { createLoaders } from './loaders.ts';
import type { EnrichmentPublisher, ScanPublisher } from '@tonegraph/queues';
import { resolvers } from './resolvers/index.ts';
import { DEVELOPMENT_PASSWORD_KEY, passwordCipher, type PasswordCipher } from './store/listening-crypto.ts';

const sdlFile = new URL('../../../schema/catalog.graphql', import.meta.url);

/** What the catalog subgraph is built from; `index.ts` supplies it from config. */
export interface CatalogDeps {
  readonly database: Database;
  readonly publisher: ScanPublisher;
  /** Real paths under which libraries may be added. */
  readonly allowedRoots: readonly string[];
  readonly log: Logger;
  /** The gateway's signature (SUBGRAPH_SECRET); unset: unsigned requests are accepted (development). */
  readonly subgraphSecret?: string | undefined;
  /** Redis pub/sub carrying ingest's progress events. */
  readonly pubsub: Context['pubsub'];
  /** Prefix of the Redis channels (shared with ingest). */
  readonly redisPrefix: string;
  /** Queues `enrichTracks` re-runs for ingest; unset: that mutation fails with QUEUE_UNAVAILABLE. */
  readonly enrichment?: EnrichmentPublisher;
  /** Base of cover URLs (the gateway's `/covers` route); default `/covers`. */
  readonly coverBaseUrl?: string;
  /** Signs `Track.streamUrl` (STREAM_SECRET, STREAM_URL_TTL_S); unset: that field fails. */
  readonly streamUrls?: StreamUrlOptions | undefined;
  /** Encrypts listeners' passwords (SUBSONIC_PASSWORD_KEY); default: the development key. */
  readonly cipher?: PasswordCipher | undefined;
}

/** The subgraph's HTTP server, not listening (`index.ts` listens). */
export type CatalogServer = SubgraphServer;

/**
 * Builds the catalog subgraph (its plumbing: `@tonegraph/subgraph-server`):
 * /graphql with graphql-ws subscriptions, /health, /ready (PostgreSQL) and /export.
 */
export async function createServer(deps: CatalogDeps): Promise<CatalogServer> {
  const { database, log } = deps;
  const cipher = deps.cipher ?? passwordCipher(DEVELOPMENT_PASSWORD_KEY);
  // The resolvers' statements are cancelled when the gateway abandons the request (db/cancel.ts).
  const db = drizzle({ client: cancelWithRequest(database.sql), schema: dbSchema });
  return createSubgraphServer({
    service: 'catalog',
    schema: await subgraphSchemaFrom(sdlFile, resolvers),
    context: (): Context => ({
      db,
      loaders: createLoaders(db),
      publisher: deps.publisher,
      allowedRoots: deps.allowedRoots,
      log,
      pubsub: deps.pubsub,
      redisPrefix: deps.redisPrefix,
      enrichment: deps.enrichment,
      coverBaseUrl: deps.coverBaseUrl ?? '/covers',
      streamUrls: deps.streamUrls,
      cipher,
    }),
    ready: { check: () => database.sql`select 1`, reason: 'database unreachable' },
    subscriptions: true,
    log,
    subgraphSecret: deps.subgraphSecret,
    routes: (app) => mountExport(app, { sql: database.sql, log }),
  });
}
