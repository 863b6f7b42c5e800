// npm start's signal handling (src/supervisor/stop-signals.ts): the copies of
// one Ctrl-C that npm and the stack CLI pass on count once; a later signal is
// the second Ctrl-C, which exits at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stopSignalHandler } from '../src/supervisor/stop-signals.ts';

function handler() {
  let clock = 0;
  const calls: string[] = [];
  const onSignal = stopSignalHandler({
    onFirst: (signal) => calls.push(`stop on ${signal}`),
    onSecond: (signal) => calls.push(`exit on ${signal}`),
    now: () => clock,
  });
  return { calls, at: (ms: number, signal: NodeJS.Signals) => ((clock = ms), onSignal(signal)) };
}

test('copies of one Ctrl-C arriving together stop once and do not exit', () => {
  const { calls, at } = handler();
  at(0, 'SIGINT');
  at(1, 'SIGINT');
  at(2, 'SIGINT');
  assert.deepEqual(calls, ['stop on SIGINT']);
});

test('a signal a second or more after the first exits at once, only once', () => {
  const { calls, at } = handler();
  at(0, 'SIGTERM');
  at(999, 'SIGINT');
  at(1_000, 'SIGINT');
  at(5_000, 'SIGINT');
  assert.deepEqual(calls, ['stop on SIGTERM', 'exit on SIGINT']);
});
