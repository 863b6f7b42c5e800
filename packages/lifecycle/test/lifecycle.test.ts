import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLifecycle } from '@tonegraph/lifecycle';

const quiet = { info() {}, warn() {}, error() {} };

test('runs cleanups in reverse order, each once, even when one fails', async () => {
  const order: string[] = [];
  const errors: unknown[] = [];
  const lifecycle = createLifecycle({ log: { ...quiet, error: (obj: unknown) => errors.push(obj) } });
  lifecycle.defer('db', () => order.push('db'));
  lifecycle.defer('queue', () => {
    order.push('queue');
    throw new Error('channel already closed');
  });
  lifecycle.defer('http', async () => {
    await new Promise((r) => setTimeout(r, 5));
    order.push('http');
  });
  const first = lifecycle.close();
  const second = lifecycle.close();
  assert.equal(first, second, 'close() is idempotent: the same promise');
  assert.equal(await first, false);
  assert.deepEqual(order, ['http', 'queue', 'db']);
  assert.equal(errors.length, 1);
  assert.equal(await lifecycle.close(), false);
  assert.deepEqual(order, ['http', 'queue', 'db']);
});

test('refuses new cleanups once shutting down', async () => {
  const lifecycle = createLifecycle({ log: quiet });
  await lifecycle.close();
  assert.throws(() => lifecycle.defer('late', () => {}), /while shutting down/);
});
