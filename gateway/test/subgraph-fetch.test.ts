// The subgraph data source's connection handling: a bounded keep-alive pool,
// a restarting subgraph bridged, a subgraph that stays down failing fast.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { createMetrics } from '../src/observability/metrics.ts';
import { createSubgraphDataSource } from '../src/subgraph-fetch.ts';

const servers = new Set<Server>();
after(() => {
  for (const s of servers) s.close();
});

/** A stand-in subgraph answering `{ data: { ok: true } }` after `delayMs`, counting sockets. */
function subgraph(port = 0, delayMs = 0) {
  const sockets = { open: 0, max: 0, total: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end('{"data":{"ok":true}}');
      }, delayMs),
    );
  });
  server.on('connection', (socket) => {
    sockets.total++;
    sockets.max = Math.max(sockets.max, ++sockets.open);
    socket.on('close', () => sockets.open--);
  });
  servers.add(server);
  return new Promise<{ server: Server; port: number; sockets: typeof sockets }>((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port, sockets }),
    ),
  );
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' };

test('fetches share a bounded pool of keep-alive connections', async () => {
  const { port, sockets } = await subgraph(0, 20);
  const url = `http://127.0.0.1:${port}/graphql`;
  const source = createSubgraphDataSource({
    name: 's',
    url,
    timeoutMs: 5000,
    connections: 4,
    secret: 'x'.repeat(16),
    metrics: createMetrics(() => ({ clients: 0, upstream: 0, connections: 0 })),
  });
  try {
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => source.fetcher(url, init)));
      for (const a of answers) assert.deepEqual(await a.json(), { data: { ok: true } });
    }
    assert.ok(sockets.max <= 4, `at most 4 sockets at once (${sockets.max})`);
    assert.ok(sockets.total <= 4, `and they are reused across 120 fetches (${sockets.total} opened)`);
  } finally {
    await source.close();
  }
});

test('a subgraph restarting within the retry window is reached; one that stays down fails fast', async () => {
  const first = await subgraph();
  const url = `http://127.0.0.1:${first.port}/graphql`;
  const metrics = createMetrics(() => ({ clients: 0, upstream: 0, connections: 0 }));
  const source = createSubgraphDataSource({ name: 's', url, timeoutMs: 5000, secret: undefined, metrics });
  try {
    assert.equal((await source.fetcher(url, init)).status, 200);
    await close(first.server);
    const pending = source.fetcher(url, init); // refused for now
    await new Promise((r) => setTimeout(r, 400));
    await subgraph(first.port);
    assert.equal((await pending).status, 200, 'bridged the restart');

    const again = await subgraph();
    const downUrl = `http://127.0.0.1:${again.port}/graphql`;
    const down = createSubgraphDataSource({
      name: 'd',
      url: downUrl,
      timeoutMs: 5000,
      secret: undefined,
      metrics,
    });
    await close(again.server);
    const t0 = performance.now();
    await assert.rejects(down.fetcher(downUrl, init), { code: 'ECONNREFUSED' });
    const firstFailure = performance.now() - t0;
    const t1 = performance.now();
    await assert.rejects(down.fetcher(downUrl, init), { code: 'ECONNREFUSED' });
    const secondFailure = performance.now() - t1;
    assert.ok(firstFailure >= 1500, `retried for the window first (${firstFailure.toFixed(0)} ms)`);
    assert.ok(
      secondFailure < firstFailure / 2,
      `then fails without waiting (${secondFailure.toFixed(0)} ms vs ${firstFailure.toFixed(0)} ms)`,
    );
    await down.close();
    const errors = await metrics.registry.getSingleMetricAsString(
      'tonegraph_gateway_subgraph_fetch_errors_total',
    );
    assert.match(errors, /subgraph="d",reason="refused"} 2/);
  } finally {
    await source.close();
  }
});

test('a query whose connection is closed before any answer is sent once more; a mutation is not', async () => {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      // Every other request: the connection goes away without an answer, as a subgraph closing it would.
      if (requests++ % 2 === 0) return req.socket.destroy();
      res.setHeader('content-type', 'application/json');
      res.end('{"data":{"ok":true}}');
    });
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const metrics = createMetrics(() => ({ clients: 0, upstream: 0, connections: 0 }));
  const source = createSubgraphDataSource({ name: 'r', url, timeoutMs: 5000, secret: undefined, metrics });
  try {
    const query = await source.fetcher(url, { ...init, body: '{"query":"query Q { ok }"}' });
    assert.equal(query.status, 200);
    assert.equal(requests, 2, 'sent twice');
    await assert.rejects(
      source.fetcher(url, { ...init, body: '{"query":"mutation M { ok }"}' }),
      (error: Error & { code?: string }) => error.code === 'UND_ERR_SOCKET' || error.code === 'ECONNRESET',
    );
    assert.equal(requests, 3, 'the mutation went once');
  } finally {
    await source.close();
  }
});
