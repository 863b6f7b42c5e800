// The supervisor's restart policy (src/supervisor/restart-policy.ts): back-off
// doubling per failure within the window, giving up at the configured count,
// and forgetting failures older than the window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideRestart,
  defaultRestartPolicy,
  recentFailures,
  resolveRestartPolicy,
} from '../src/supervisor/restart-policy.ts';

const policy = resolveRestartPolicy({
  maxFailures: 4,
  windowMs: 10_000,
  initialDelayMs: 100,
  maxDelayMs: 350,
});

test('the first failure restarts after the initial delay', () => {
  assert.deepEqual(decideRestart([1_000], 1_000, policy), { restart: true, delayMs: 100, failures: 1 });
});

test('each further failure within the window doubles the delay, up to the maximum', () => {
  assert.deepEqual(decideRestart([0, 1_000], 1_000, policy), { restart: true, delayMs: 200, failures: 2 });
  assert.deepEqual(decideRestart([0, 500, 1_000], 1_000, policy), {
    restart: true,
    delayMs: 350,
    failures: 3,
  });
});

test('gives up when the configured number of failures falls within the window', () => {
  assert.deepEqual(decideRestart([0, 1, 2, 3], 3, policy), { restart: false, failures: 4 });
  assert.deepEqual(decideRestart([0, 1, 2, 3, 4, 5], 5, policy), { restart: false, failures: 6 });
});

test('failures older than the window are forgotten: a service that ran a while restarts quickly again', () => {
  const times = [0, 1_000, 2_000, 15_000];
  assert.deepEqual(recentFailures(times, 15_000, 10_000), [15_000]);
  assert.deepEqual(decideRestart(times, 15_000, policy), { restart: true, delayMs: 100, failures: 1 });
  // The window's edge: a failure exactly windowMs ago no longer counts.
  assert.deepEqual(recentFailures([5_000, 15_000], 15_000, 10_000), [15_000]);
});

test('a service failing on every start gives up after maxFailures with the defaults', () => {
  const times: number[] = [];
  let now = 0;
  let decision = decideRestart([now], now);
  for (let i = 0; i < 20 && decision.restart; i++) {
    times.push(now);
    decision = decideRestart(times, now);
    if (decision.restart) now += decision.delayMs + 1_000; // a start that fails after a second
  }
  assert.equal(decision.restart, false);
  assert.equal(times.length, defaultRestartPolicy.maxFailures);
});

test('rejects a policy that would never restart or never give up', () => {
  assert.throws(() => resolveRestartPolicy({ maxFailures: 0 }), /maxFailures/);
  assert.throws(() => resolveRestartPolicy({ windowMs: 0 }), /windowMs/);
  assert.throws(() => resolveRestartPolicy({ initialDelayMs: 2_000, maxDelayMs: 1_000 }), /maxDelayMs/);
  assert.equal(resolveRestartPolicy().maxFailures, 5);
});
