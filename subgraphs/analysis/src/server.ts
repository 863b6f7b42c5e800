import type { Logger } from '@tonegraph/logger';
import { type SubgraphServer, createSubgraphServer, subgraphSchemaFrom } from '@tonegraph/subgraph-server';
import type { Context } from './context.ts';
import { queryTimeoutError } from './errors.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import type { AnalysisStore } from './store.ts';

const sdlFile = new URL('../../../schema/analysis.graphql', import.meta.url);

/** What the analysis subgraph is built from; `index.ts` supplies it from config. */
export interface AnalysisDeps {
  readonly store: AnalysisStore;
  readonly log: Logger;
  /** The gateway's signature (SUBGRAPH_SECRET); unset: unsigned requests are accepted (development). */
  readonly subgraphSecret?: string | undefined;
  /** Redis pub/sub carrying ingest's analysis events. */
  readonly pubsub: Context['pubsub'];
  /** Prefix of the Redis channels (shared with ingest). */
  readonly redisPrefix: string;
}

/** The subgraph's HTTP server, not listening (`index.ts` listens). */
export type AnalysisServer = SubgraphServer;

/**
 * Builds the analysis subgraph (its plumbing: `@tonegraph/subgraph-server`):
 * /graphql with graphql-ws subscriptions, /health and /ready (MongoDB ping).
 */
export async function createServer(deps: AnalysisDeps): Promise<AnalysisServer> {
  const { store, log } = deps;
  return createSubgraphServer({
    service: 'analysis',
    schema: await subgraphSchemaFrom(sdlFile, resolvers),
    context: (): Context => ({
      store,
      loaders: createLoaders(store),
      log,
      pubsub: deps.pubsub,
      redisPrefix: deps.redisPrefix,
    }),
    ready: { check: () => store.tracks.db.command({ ping: 1 }), reason: 'database unreachable' },
    subscriptions: true,
    log,
    subgraphSecret: deps.subgraphSecret,
    // A read stopped at the store's time bound is QUERY_TIMEOUT, not a masked internal error.
    formatError: queryTimeoutError,
  });
}
