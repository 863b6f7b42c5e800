// What every subgraph serves alike, proved on a small subgraph of its own:
// /health and /ready, the gateway's signature over HTTP and graphql-ws, the
// subgraph's own routes and error wording, and stop() closing subscriptions.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '@tonegraph/logger';
import { SUBGRAPH_SECRET_HEADER, SUBGRAPH_SECRET_PARAM } from '@tonegraph/subgraph-auth';
import { DateTime, createSubgraphServer, listen, type SubgraphServer } from '../src/index.ts';

const SECRET = 'a-secret-shared-with-the-gateway';
const log = createLogger({ service: 'subgraph-server-test', level: 'silent' });

const schema = buildSubgraphSchema({
  typeDefs: parse(`
    scalar DateTime
    type Query { who: String! at(value: DateTime!): DateTime! mine: Int! crash: Int! }
    type Subscription { ticks: Int! }
  `),
  resolvers: {
    DateTime,
    Query: {
      who: (_: unknown, __: unknown, context: { caller: string }) => context.caller,
      at: (_: unknown, args: { value: string }) => new Date(args.value),
      mine: () => {
        throw new Error('worded by the subgraph');
      },
      crash: () => {
        throw new Error('internal detail');
      },
    },
    Subscription: {
      ticks: {
        subscribe: async function* () {
          for (let i = 1; ; i++) {
            yield { ticks: i };
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        },
      },
    },
  } as never,
});

interface Running {
  readonly server: SubgraphServer;
  readonly base: string;
}

async function start(options: { ready?: () => Promise<unknown>; subscriptions?: boolean }): Promise<Running> {
  let calls = 0;
  const server = await createSubgraphServer({
    service: 'test',
    schema,
    context: () => ({ caller: `request ${++calls}` }),
    ready: { check: options.ready ?? (() => Promise.resolve()), reason: 'store unreachable' },
    subscriptions: options.subscriptions ?? true,
    log,
    subgraphSecret: SECRET,
    formatError: (formatted) =>
      formatted.message === 'worded by the subgraph' ? { ...formatted, extensions: { code: 'MINE' } } : null,
    routes: (app) => app.get('/own', (_req, res) => void res.json({ own: true })),
  });
  await listen(server.httpServer, { port: 0, host: '127.0.0.1' });
  return { server, base: `127.0.0.1:${(server.httpServer.address() as AddressInfo).port}` };
}

const signed = { [SUBGRAPH_SECRET_HEADER]: SECRET };
const post = (
  base: string,
  query: string,
  headers: Record<string, string> = signed,
  variables?: Record<string, unknown>,
) =>
  fetch(`http://${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });

let ready = true;
let main: Running;
before(async () => {
  main = await start({ ready: () => (ready ? Promise.resolve() : Promise.reject(new Error('down'))) });
});
after(() => main.server.stop());

test('/health answers while the process runs; /ready follows the store, with the reason when it is down', async () => {
  const get = async (path: string) => {
    const res = await fetch(`http://${main.base}${path}`);
    return [res.status, await res.json()] as const;
  };
  assert.deepEqual(await get('/health'), [200, { status: 'ok' }]);
  assert.deepEqual(await get('/ready'), [200, { status: 'ready' }]);
  ready = false;
  try {
    assert.deepEqual(await get('/ready'), [503, { status: 'unavailable', reason: 'store unreachable' }]);
    assert.deepEqual(await get('/health'), [200, { status: 'ok' }]);
  } finally {
    ready = true;
  }
});

test('GraphQL and the subgraph’s own routes need the signature; each operation gets a fresh context', async () => {
  const unsigned = await post(main.base, '{ who }', {});
  assert.equal(unsigned.status, 401);
  const body = (await unsigned.json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0]?.extensions.code, 'UNAUTHENTICATED');
  assert.equal((await fetch(`http://${main.base}/own`)).status, 401);
  assert.deepEqual(await (await fetch(`http://${main.base}/own`, { headers: signed })).json(), { own: true });

  const first = (await (await post(main.base, '{ who }')).json()) as { data: { who: string } };
  const second = (await (await post(main.base, '{ who }')).json()) as { data: { who: string } };
  assert.notEqual(first.data.who, second.data.who);
});

test('errors: the subgraph’s own wording first, anything else masked with a correlation id', async () => {
  const res = (await (await post(main.base, '{ mine }')).json()) as {
    errors: { message: string; extensions: { code: string; correlationId?: string } }[];
  };
  assert.equal(res.errors[0]?.extensions.code, 'MINE');
  const masked = (await (await post(main.base, '{ crash }')).json()) as typeof res;
  assert.equal(masked.errors[0]?.extensions.code, 'INTERNAL_SERVER_ERROR');
  assert.doesNotMatch(masked.errors[0]?.message ?? '', /internal detail/);
  assert.ok(masked.errors[0]?.extensions.correlationId);
});

test('DateTime: ISO-8601 in UTC out, a malformed value is BAD_USER_INPUT', async () => {
  const ok = (await (await post(main.base, '{ at(value: "2026-11-28T19:00:00+01:00") }')).json()) as {
    data: { at: string };
  };
  assert.equal(ok.data.at, '2026-11-28T18:00:00.000Z');
  const query = 'query ($v: DateTime!) { at(value: $v) }';
  const bad = (await (await post(main.base, query, signed, { v: 'yesterday' })).json()) as {
    errors: { extensions: { code: string } }[];
  };
  assert.equal(bad.errors[0]?.extensions.code, 'BAD_USER_INPUT');
  assert.throws(() => DateTime.serialize('not a date'), GraphQLError);
});

/** Opens a graphql-ws client and resolves with how its socket closed. */
function subscribe(base: string, params: Record<string, unknown>, onTick?: () => void) {
  return new Promise<number>((resolve) => {
    const client = createClient({
      url: `ws://${base}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: params,
      retryAttempts: 0,
      on: { closed: (event) => resolve((event as { code: number }).code) },
    });
    client.subscribe(
      { query: 'subscription { ticks }' },
      { next: () => onTick?.(), error: () => {}, complete: () => {} },
    );
  });
}

test('graphql-ws: a connection without the signature is closed with 4401', async () => {
  assert.equal(await subscribe(main.base, {}), 4401);
});

test('stop() closes subscriptions with 1001 Going away, and a second stop() is the same promise', async () => {
  const own = await start({});
  let ticked!: () => void;
  const ticking = new Promise<void>((resolve) => (ticked = resolve));
  const closed = subscribe(own.base, { [SUBGRAPH_SECRET_PARAM]: SECRET }, () => ticked());
  await ticking;
  const stopping = own.server.stop();
  assert.equal(own.server.stop(), stopping);
  assert.equal(await closed, 1001);
  await stopping;
  assert.equal(own.server.httpServer.listening, false);
});

test('without `subscriptions` no WebSocket is served', async () => {
  const own = await start({ subscriptions: false });
  try {
    const refused = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`ws://${own.base}/graphql`, 'graphql-transport-ws', {
        headers: signed,
      });
      socket.on('open', () => resolve('open'));
      socket.on('error', () => resolve('refused'));
    });
    assert.equal(refused, 'refused');
  } finally {
    await own.server.stop();
  }
});

test('listen() rejects when the port is taken', async () => {
  const other = await createSubgraphServer({
    service: 'test',
    schema,
    context: () => ({ caller: 'x' }),
    ready: { check: () => Promise.resolve(), reason: 'n/a' },
    log,
  });
  const port = (main.server.httpServer.address() as AddressInfo).port;
  await assert.rejects(listen(other.httpServer, { port, host: '127.0.0.1' }), { code: 'EADDRINUSE' });
  await other.stop();
});
