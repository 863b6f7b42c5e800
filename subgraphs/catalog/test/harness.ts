import type { AddressInfo } from 'node:net';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { createLogger } from '@tonegraph/logger';
import { createTestDatabase, isolation, testServices } from '@tonegraph/testing';
import { createDb, type Database } from '../src/db/client.ts';
import { createScanPublisher } from '@tonegraph/queues';
import { type CatalogDeps, createServer } from '../src/server.ts';
import { migrateCatalog } from '../src/store/migrate.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
}

export interface Harness {
  readonly url: string;
  readonly database: Database;
  /** URL of the harness's own database. */
  readonly databaseUrl: string;
  readonly scanQueue: string;
  /** Redis channel prefix this catalog subscribes under. */
  readonly redisPrefix: string;
  /** Statements sent to PostgreSQL since the last `resetStatements()`. */
  readonly statements: string[];
  resetStatements(): void;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * A catalog subgraph on port 0 over a fresh, migrated database of its own;
 * `subgraphSecret` and `streamUrls` as `createServer` takes them (`gql` does
 * not sign: with a secret, ask through a gateway).
 */
export async function startCatalog(
  options: {
    allowedRoots?: string[];
    amqpUrl?: string;
    subgraphSecret?: string;
    streamUrls?: CatalogDeps['streamUrls'];
  } = {},
): Promise<Harness> {
  const testDb = await createTestDatabase(testServices().DATABASE_URL);
  const statements: string[] = [];
  // postgres.js reads pg_type once per new connection: plumbing, not a statement of the request.
  const database = createDb(testDb.url, {
    poolSize: 10,
    onQuery: (q) => {
      if (!/\bpg_catalog\.pg_type\b|\bfrom pg_type\b/i.test(q)) statements.push(q);
    },
  });
  await migrateCatalog(database);
  const scanQueue = isolation().queue('scan');
  const publisher = createScanPublisher(options.amqpUrl ?? testServices().AMQP_URL, scanQueue, 2000);
  const log = createLogger({ service: 'catalog-test', level: 'silent' });
  const redisPrefix = isolation().redisPrefix;
  const pubsub = new RedisPubSub({ connection: testServices().REDIS_URL });
  const server = await createServer({
    database,
    publisher,
    allowedRoots: options.allowedRoots ?? [],
    log,
    pubsub,
    redisPrefix,
    subgraphSecret: options.subgraphSecret,
    streamUrls: options.streamUrls,
  });
  await new Promise<void>((resolve) => server.httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/graphql`;
  return {
    url,
    database,
    databaseUrl: testDb.url,
    scanQueue,
    redisPrefix,
    statements,
    resetStatements: () => statements.splice(0),
    async gql<T>(query: string, variables?: Record<string, unknown>) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse<T>;
    },
    async close() {
      await server.stop();
      await pubsub.close();
      await publisher.close();
      await database.close();
      await testDb.drop();
    },
  };
}
