import type { Driver } from 'neo4j-driver';
import type { Logger } from '@tonegraph/logger';
import { type SubgraphServer, createSubgraphServer } from '@tonegraph/subgraph-server';
import { batchEntityResolution } from './entities.ts';
import { buildGraphSchema } from './schema.ts';

/** The entity types this subgraph resolves through `_entities`. */
export const entityTypes = ['Track', 'Artist', 'Album', 'Library'] as const;

/** What the library-graph subgraph is built from; `index.ts` supplies it from config. */
export interface LibraryGraphDeps {
  /** Used by every generated query (one session per query). */
  readonly driver: Driver;
  /** Neo4j database; default: the server's default database. */
  readonly database?: string | undefined;
  readonly log: Logger;
  /** The gateway's signature (SUBGRAPH_SECRET); unset: unsigned requests are accepted (development). */
  readonly subgraphSecret?: string | undefined;
  /**
   * Neo4j transaction timeout of every query a request runs, in ms (the
   * server terminates a transaction past it); 0 or absent: the server's default.
   */
  readonly queryTimeoutMs?: number;
}

/** The subgraph's HTTP server, not listening (`index.ts` listens). */
export type LibraryGraphServer = SubgraphServer;

/** The per-request context @neo4j/graphql reads (`sessionConfig`, `executionContext`). */
interface Context {
  readonly executionContext: Driver;
  readonly sessionConfig?: { readonly database: string };
  readonly transaction?: { readonly timeout: number };
}

/**
 * Builds the library-graph subgraph (its plumbing: `@tonegraph/subgraph-server`):
 * /graphql (queries only, no subscriptions), /health and /ready (Neo4j).
 */
export async function createServer(deps: LibraryGraphDeps): Promise<LibraryGraphServer> {
  const { driver } = deps;
  const schema = await buildGraphSchema(driver);
  batchEntityResolution(schema, entityTypes);
  return createSubgraphServer({
    service: 'library-graph',
    schema,
    // A fresh object per request: @neo4j/graphql and the entity loaders key on it.
    context: (): Context => ({
      executionContext: driver,
      ...(deps.database ? { sessionConfig: { database: deps.database } } : {}),
      ...(deps.queryTimeoutMs ? { transaction: { timeout: deps.queryTimeoutMs } } : {}),
    }),
    ready: {
      check: () => driver.getServerInfo(deps.database ? { database: deps.database } : {}),
      reason: 'neo4j unreachable',
    },
    log: deps.log,
    subgraphSecret: deps.subgraphSecret,
  });
}
