import type { AddressInfo } from 'node:net';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { CommandStartedEvent, Db, MongoClient } from 'mongodb';
import { createLogger } from '@tonegraph/logger';
import { isolation, testServices } from '@tonegraph/testing';
import { connectMongo } from '../src/db.ts';
import { createServer } from '../src/server.ts';
import { createAnalysisStore, type AnalysisStore } from '../src/store.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
}

/** Commands the driver sends on its own (handshakes, heartbeats), not on behalf of a request. */
const PLUMBING = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'endSessions',
  'saslStart',
  'saslContinue',
]);

/** A store on a fresh database of its own, with every command it sends recorded. */
export interface StoreFixture {
  readonly client: MongoClient;
  /** The fixture's own database. */
  readonly db: Db;
  readonly store: AnalysisStore;
  /** Commands sent since the last `resetCommands()`, e.g. `{ name: 'find', collection: 'tracks' }`. */
  readonly commands: { name: string; collection: unknown }[];
  resetCommands(): void;
  close(): Promise<void>;
}

export async function createStoreFixture(analyzerVersion = '1', queryTimeMs?: number): Promise<StoreFixture> {
  const client = await connectMongo(testServices().MONGO_URL, { poolSize: 5, monitorCommands: true });
  const db = client.db(isolation().mongoDb);
  const commands: { name: string; collection: unknown }[] = [];
  client.on('commandStarted', (e: CommandStartedEvent) => {
    if (!PLUMBING.has(e.commandName) && e.databaseName === db.databaseName)
      commands.push({ name: e.commandName, collection: e.command[e.commandName] });
  });
  const store = createAnalysisStore(db, { analyzerVersion, ...(queryTimeMs ? { queryTimeMs } : {}) });
  await store.ensureSchema();
  return {
    client,
    db,
    store,
    commands,
    resetCommands: () => void commands.splice(0),
    async close() {
      try {
        await db.dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

export interface Harness extends StoreFixture {
  readonly url: string;
  /** Redis channel prefix this subgraph subscribes under. */
  readonly redisPrefix: string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
}

/** An analysis subgraph on port 0 over a fresh database of its own (reads bounded by `queryTimeMs` if given). */
export async function startAnalysis(queryTimeMs?: number): Promise<Harness> {
  const fixture = await createStoreFixture('1', queryTimeMs);
  const log = createLogger({ service: 'analysis-test', level: 'silent' });
  const redisPrefix = isolation().redisPrefix;
  const pubsub = new RedisPubSub({ connection: testServices().REDIS_URL });
  const server = await createServer({ store: fixture.store, log, pubsub, redisPrefix });
  await new Promise<void>((resolve) => server.httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/graphql`;
  return {
    ...fixture,
    url,
    redisPrefix,
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
      await fixture.close();
    },
  };
}
