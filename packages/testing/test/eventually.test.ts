import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, EventuallyTimeoutError } from '@tonegraph/testing';

test('resolves to the first value that is neither undefined nor false, polling until then', async () => {
  let calls = 0;
  const value = await eventually(() => (++calls === 3 ? { calls } : undefined), { intervalMs: 1 });
  assert.deepEqual(value, { calls: 3 });
  calls = 0;
  assert.equal(await eventually(() => Promise.resolve(++calls >= 2), { intervalMs: 1 }), true);
  assert.equal(calls, 2);
  // Zero and the empty string are values, not "not yet".
  assert.equal(await eventually(() => 0), 0);
  assert.equal(await eventually(() => ''), '');
});

test('times out with what was awaited, asking a function for it at that moment', async () => {
  let seen = 0;
  const started = performance.now();
  await assert.rejects(
    eventually(
      () => {
        seen++;
        return false;
      },
      { timeoutMs: 100, intervalMs: 10, what: () => `the answer (probed ${seen} times)` },
    ),
    (error: unknown) => {
      assert.ok(error instanceof EventuallyTimeoutError);
      assert.match(error.message, /^not within 100 ms: the answer \(probed \d+ times\)$/);
      return true;
    },
  );
  assert.ok(performance.now() - started >= 100, 'waited the whole timeout');
  assert.ok(seen >= 3, `probed again while waiting (${seen} times)`);
  await assert.rejects(
    eventually(() => undefined, { timeoutMs: 0 }),
    /^EventuallyTimeoutError: not within 0 ms: condition$/,
  );
});

test('a probe that throws fails at once, unless errors are retried; the last one is the cause on timeout', async () => {
  let calls = 0;
  const broken = () => {
    calls++;
    throw new Error(`refused ${calls}`);
  };
  await assert.rejects(eventually(broken, { timeoutMs: 1000 }), /^Error: refused 1$/);
  assert.equal(calls, 1);

  calls = 0;
  // A rejected promise is retried like a throw.
  const flaky = () => (++calls < 3 ? Promise.reject(new Error('not up yet')) : Promise.resolve('up'));
  assert.equal(await eventually(flaky, { retryErrors: true, intervalMs: 1 }), 'up');

  await assert.rejects(
    eventually(broken, { retryErrors: true, timeoutMs: 50, intervalMs: 5 }),
    (error: unknown) => {
      assert.ok(error instanceof EventuallyTimeoutError);
      assert.match(String((error.cause as Error).message), /^refused \d+$/);
      return true;
    },
  );
});
