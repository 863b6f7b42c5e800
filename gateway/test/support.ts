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
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
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
    auth: 'off',
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

/**
 * A subgraph that reports what reached it: `headers` answers with the
 * request headers it got (JSON), `slow(ms)` answers after `ms`. Composed with
 * the catalog it shows what the gateway sends to subgraphs.
 */
export const recorderSdl = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { headers: String! slow(ms: Int!): String! }
  type Subscription { blobs(size: Int!, count: Int!): String! }
`);

export interface Recorder {
  readonly url: string;
  /** Slow requests that were cut off by the client before they answered. */
  readonly aborted: number;
  stop(): Promise<void>;
}

export async function startRecorder(): Promise<Recorder> {
  let aborted = 0;
  type Ctx = { headers: Record<string, unknown>; closed: () => boolean };
  // Resolvers typed by their own context; the subgraph API takes an untyped map.
  const schema = buildSubgraphSchema({
    typeDefs: recorderSdl,
    resolvers: {
      Query: {
        headers: (_: unknown, __: unknown, ctx: Ctx) => JSON.stringify(ctx.headers),
        slow: async (_: unknown, { ms }: { ms: number }, ctx: Ctx) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          if (ctx.closed()) aborted++;
          return `slept ${ms}`;
        },
      },
      Subscription: {
        // `count` strings of `size` bytes, as fast as the connection takes them.
        blobs: {
          subscribe: async function* (_: unknown, { size, count }: { size: number; count: number }) {
            const blob = 'x'.repeat(size);
            for (let i = 0; i < count; i++) yield await Promise.resolve(blob);
          },
          resolve: (blob: string) => blob,
        },
      },
    } as unknown as GraphQLResolverMap<unknown>,
  });
  const apollo = new ApolloServer<Ctx>({ schema });
  await apollo.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: ({ req, res }) => {
        let closed = false;
        res.once('close', () => (closed = !res.writableFinished));
        return Promise.resolve({ headers: req.headers, closed: () => closed });
      },
    }),
  );
  const http = createHttpServer(app);
  const ws = useServer({ schema }, new WebSocketServer({ server: http, path: '/graphql' }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`,
    get aborted() {
      return aborted;
    },
    async stop() {
      await ws.dispose();
      await apollo.stop();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** The catalog's SDL plus the recorder's. */
export async function composeWithRecorder(catalogUrl: string, recorderUrl: string): Promise<string> {
  const composed = composeServices([
    {
      name: 'catalog',
      url: catalogUrl,
      typeDefs: parse(await readFile(new URL('../../schema/catalog.graphql', import.meta.url), 'utf8')),
    },
    { name: 'recorder', url: recorderUrl, typeDefs: recorderSdl },
  ]);
  if (composed.errors) throw new Error(composed.errors.map(String).join('\n'));
  return composed.supergraphSdl;
}

/** POSTs a GraphQL request; returns status, headers and the parsed body. */
export async function post<T = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: GraphQLBody<T> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as GraphQLBody<T> };
}

export interface GraphQLBody<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> & { code?: string } }[];
}

/** Opens a graphql-ws connection and resolves with how the server closed it (code, reason). */
export function closeOf(client: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    client.on('closed', (event) => {
      const { code, reason } = event as { code: number; reason: string };
      resolve({ code, reason });
    });
  });
}
