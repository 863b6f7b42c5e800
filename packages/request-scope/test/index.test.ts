// A query whose client leaves while it waits (on a gate the test holds)
// finds its scope aborted once it resumes, and refuses to start more work;
// a mutation is never scoped, and outside a request nothing is refused.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { eventually } from '@tonegraph/testing';
import { abandonedRequests, RequestAbandonedError, requestSignal, throwIfAbandoned } from '../src/index.ts';

let url: string;
let close: () => Promise<void>;
let release!: () => void;
let gate = new Promise<void>((resolve) => (release = resolve));
const seen: { scoped: boolean; refused: boolean }[] = [];
let arrived = 0;
const signals: (AbortSignal | undefined)[] = [];

before(async () => {
  const app = express();
  app.use(express.json(), abandonedRequests, (_req, res) => {
    arrived++;
    signals.push(requestSignal());
    void gate.then(() => {
      let refused = false;
      try {
        throwIfAbandoned();
      } catch (error) {
        refused = error instanceof RequestAbandonedError;
      }
      seen.push({ scoped: requestSignal() !== undefined, refused });
      if (!res.writableEnded && !res.destroyed) res.json({ ok: true });
    });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
after(async () => {
  release();
  await close();
});

const post = (query: string, signal?: AbortSignal) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    ...(signal ? { signal } : {}),
  });

test('a query abandoned by its client refuses to start more work; one answered does not', async () => {
  const client = new AbortController();
  const leaving = post('{ tracks { id } }', client.signal).catch(() => undefined);
  const staying = post('query { tracks { id } }');
  await eventually(() => arrived === 2);
  client.abort();
  await leaving;
  // The server has seen the connection close before the work resumes.
  await eventually(() => signals.some((s) => s?.aborted));
  release();
  assert.equal((await staying).status, 200);
  await eventually(() => seen.length === 2);
  assert.deepEqual(seen.map((s) => s.refused).sort(), [false, true]);
  assert.ok(seen.every((s) => s.scoped));
});

test('a mutation is not scoped, and outside a request nothing is refused', async () => {
  seen.splice(0);
  gate = Promise.resolve();
  assert.equal((await post('mutation { touch }')).status, 200);
  await eventually(() => seen.length === 1);
  assert.deepEqual(seen, [{ scoped: false, refused: false }]);
  assert.equal(requestSignal(), undefined);
  throwIfAbandoned();
});
