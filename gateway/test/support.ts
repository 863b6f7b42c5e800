// Test plumbing for the gateway's subscriptions: a small, restartable probe
// subgraph, composition with the catalog, gateways on port 0, and clients.
import { EventEmitter, on } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '@tonegraph/logger';
import { createServer, type Gateway, type GatewayDeps } from '../src/server.ts';

/**
 * Extends three catalog entities with a field of its own, and owns one
 * subscription whose events reference a catalog Track: cross-subgraph in
 * both directions.
 */
export const probeSdl = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Track @key(fields: "id") { id: ID! probe: String! }
  type ImportJob @key(fields: "id") { id: ID! probe: String! }
  type Library @key(fields: "id") { id: ID! probe: String! }
  type Tick { n: Int! track: Track }
  type Query { probeTracks(ids: [ID!]!): [Track!]! }
  type Subscription { ticks(topic: String!): Tick! }
`);

export interface Probe {
  readonly url: string;
  /** Emits a tick to subscribers of `topic`; returns how many listened. */
  tick(topic: string, n: number, trackId?: string): number;
  /** Entity references resolved so far. */
  readonly references: number;
  /** Closes (WebSocket clients get 1001) and frees the port. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

export async function startProbe(): Promise<Probe> {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let references = 0;
  const reference = (typename: string) => (ref: { id: string }) => {
    references++;
    return { id: ref.id, typename };
  };
  const schema = buildSubgraphSchema({
    typeDefs: probeSdl,
    resolvers: {
      Query: { probeTracks: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id })) },
      Track: { __resolveReference: reference('Track'), probe: (t: { id: string }) => `probe:${t.id}` },
      ImportJob: { __resolveReference: reference('ImportJob'), probe: (t: { id: string }) => `job:${t.id}` },
      Library: { __resolveReference: reference('Library'), probe: (t: { id: string }) => `library:${t.id}` },
      Subscription: {
        ticks: {
          // events.on's iterator, not an async generator around it: its return() takes effect at
          // once, so a closed subscription stops listening even while no tick comes.
          subscribe: (_: unknown, { topic }: { topic: string }) => on(emitter, topic),
          resolve: ([tick]: [unknown]) => tick,
        },
      },
      Tick: { track: (t: { trackId?: string }) => (t.trackId ? { id: t.trackId } : null) },
    },
  });
  const apollo = new ApolloServer({ schema });
  await apollo.start();
  let port = 0;
  let http: Server | undefined;
  let ws: { dispose(): void | Promise<void> } | undefined;
  const listen = async () => {
    const app = express();
    app.use('/graphql', express.json(), expressMiddleware(apollo));
    http = createHttpServer(app);
    ws = useServer({ schema }, new WebSocketServer({ server: http, path: '/graphql' }));
    await new Promise<void>((resolve) => http!.listen(port, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
  };
  const close = async () => {
    await ws?.dispose();
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
  };
  await listen();
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    tick: (topic, n, trackId) => {
      const listeners = emitter.listenerCount(topic);
      emitter.emit(topic, { n, trackId });
      return listeners;
    },
    get references() {
      return references;
    },
    stop: close,
    restart: listen,
  };
}

/** The catalog's SDL plus the probe's, composed like `npm run compose` does. */
export async function composeWithProbe(catalogUrl: string, probeUrl: string): Promise<string> {
  const composed = composeServices([
    {
      name: 'catalog',
      url: catalogUrl,
      typeDefs: parse(await readFile(new URL('../../schema/catalog.graphql', import.meta.url), 'utf8')),
    },
    { name: 'probe', url: probeUrl, typeDefs: probeSdl },
  ]);
  if (composed.errors) throw new Error(composed.errors.map(String).join('\n'));
  return composed.supergraphSdl;
}

export interface RunningGateway {
  readonly gateway: Gateway;
  /** http://…/graphql */
  readonly url: string;
  /** ws://…/graphql */
  readonly wsUrl: string;
  stop(): Promise<void>;
}

export async function startGateway(
  supergraphSdl: string,
  options: Partial<GatewayDeps> = {},
): Promise<RunningGateway> {
  const gateway = createServer({
    supergraphSdl,
    subgraphTimeoutMs: 5000,
    development: false,
    log: createLogger({ service: 'gateway-test', level: 'silent' }),
    ...options,
  });
  await gateway.start();
  await new Promise<void>((resolve) => gateway.httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(gateway.httpServer.address() as AddressInfo).port}/graphql`;
  return { gateway, url, wsUrl: url.replace(/^http/, 'ws'), stop: () => gateway.stop() };
}

export const wsClient = (url: string): Client =>
  createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });

export type Result<T> = FormattedExecutionResult<T>;

/** A subscription being watched: every result so far, and how it ended. */
export interface Watch<T> {
  readonly results: Result<T>[];
  /** Resolves with the first result that matches. */
  until(predicate: (result: Result<T>) => boolean, timeoutMs?: number): Promise<Result<T>>;
  /** Resolves when the server completes, rejects with the error it ends with. */
  readonly ended: Promise<void>;
  unsubscribe(): void;
}

export function watch<T>(client: Client, query: string, variables?: Record<string, unknown>): Watch<T> {
  const results: Result<T>[] = [];
  const waiters = new Set<() => void>();
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const ended = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ended.catch(() => {});
  const unsubscribe = client.subscribe<T>(
    { query, ...(variables ? { variables } : {}) },
    {
      next: (result) => {
        results.push(result as Result<T>);
        for (const w of waiters) w();
      },
      error: (error) => settle.reject(error),
      complete: () => settle.resolve(),
    },
  );
  return {
    results,
    ended,
    unsubscribe,
    until(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = results.find(predicate);
          if (!hit) return;
          cleanup();
          resolve(hit);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching result within ${timeoutMs} ms; got ${JSON.stringify(results)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        ended.then(
          () => {},
          (error: unknown) => {
            cleanup();
            reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          },
        );
        waiters.add(check);
        check();
      });
    },
  };
}

/** Polls `condition` until it holds. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
