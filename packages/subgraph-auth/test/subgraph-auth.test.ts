import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { buildSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { SUBGRAPH_SECRET_HEADER, SUBGRAPH_SECRET_PARAM, createSubgraphAuth } from '../src/index.ts';

const SECRET = 'a-secret-shared-with-the-gateway';
const warnings: string[] = [];
const log = { warn: (_fields: object, message: string) => warnings.push(message) };
let server: Server;
let base: string;

before(async () => {
  const auth = createSubgraphAuth({ secret: SECRET, log, service: 'test' });
  const app = express();
  app.use(auth.middleware);
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.post('/graphql', (_req, res) => void res.json({ data: { ok: true } }));
  server = createServer(app);
  const schema = buildSchema('type Query { ok: Boolean } type Subscription { ok: Boolean }');
  useServer(
    {
      schema,
      onConnect: auth.onConnect,
      roots: {
        subscription: {
          ok: async function* () {
            yield await Promise.resolve({ ok: true });
          },
        },
      },
    },
    new WebSocketServer({ server, path: '/graphql' }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('HTTP: 401 without the secret or with a wrong one; through with it; /health open', async () => {
  const call = (headers: Record<string, string>) =>
    fetch(`http://${base}/graphql`, { method: 'POST', headers, body: '{}' });
  const missing = await call({});
  assert.equal(missing.status, 401);
  assert.equal(
    ((await missing.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
    'UNAUTHENTICATED',
  );
  assert.equal((await call({ [SUBGRAPH_SECRET_HEADER]: 'wrong' })).status, 401);
  assert.equal((await call({ [SUBGRAPH_SECRET_HEADER]: SECRET })).status, 200);
  assert.equal((await fetch(`http://${base}/health`)).status, 200);
});

test('graphql-ws: connection_init without the secret is closed with 4401; with it, it subscribes', async () => {
  const closedWith = await new Promise<number>((resolve) => {
    const client = createClient({ url: `ws://${base}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    client.on('closed', (e) => resolve((e as { code: number }).code));
    client.subscribe({ query: 'subscription { ok }' }, { next() {}, error() {}, complete() {} });
  });
  assert.equal(closedWith, 4401);
  const client = createClient({
    url: `ws://${base}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { [SUBGRAPH_SECRET_PARAM]: SECRET },
  });
  const results: unknown[] = [];
  for await (const r of client.iterate({ query: 'subscription { ok }' })) results.push(r);
  assert.deepEqual(results, [{ data: { ok: true } }]);
  await client.dispose();
});

test('without a secret: development mode accepts everything and warns once', () => {
  const before = warnings.length;
  const open = createSubgraphAuth({ secret: undefined, log, service: 'dev' });
  assert.equal(open.enforced, false);
  assert.equal(open.verify(undefined), true);
  assert.equal(warnings.length, before + 1);
  assert.match(warnings.at(-1) ?? '', /SUBGRAPH_SECRET is not set/);
});
