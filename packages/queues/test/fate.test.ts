// The retry decision on its own: what becomes of a failed job, given what
// it threw and how often it failed before. Pure; no broker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BrokerUnavailableError,
  DeferJobError,
  RETRIES_HEADER,
  UnrecoverableJobError,
  giveUpFailureFate,
  jobFate,
  retriesOf,
  type RetryPolicy,
} from '@tonegraph/queues';

const outage = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const policy: RetryPolicy = {
  maxRetries: 2,
  isOutage: (error) => error === outage || error instanceof BrokerUnavailableError,
};

test('a failure is retried, counting each attempt, until the retries are used up; then it is given up', () => {
  const error = new Error('disk hiccup');
  assert.deepEqual(jobFate(error, 0, policy), { action: 'retry', retries: 1, outage: false });
  assert.deepEqual(jobFate(error, 1, policy), { action: 'retry', retries: 2, outage: false });
  assert.deepEqual(jobFate(error, 2, policy), {
    action: 'give-up',
    reason: 'gave up after 3 attempts: disk hiccup',
    unrecoverable: false,
  });
});

test('with no retries allowed, the first failure is given up', () => {
  assert.equal(jobFate(new Error('x'), 0, { ...policy, maxRetries: 0 }).action, 'give-up');
  assert.deepEqual(jobFate('a string', 0, { ...policy, maxRetries: 0 }), {
    action: 'give-up',
    reason: 'gave up after 1 attempts: a string',
    unrecoverable: false,
  });
});

test('an outage is retried without using up a retry, however often it happened', () => {
  assert.deepEqual(jobFate(outage, 0, policy), { action: 'retry', retries: 0, outage: true });
  assert.deepEqual(jobFate(outage, 2, policy), { action: 'retry', retries: 2, outage: true });
  assert.deepEqual(jobFate(new BrokerUnavailableError('down'), 7, policy), {
    action: 'retry',
    retries: 7,
    outage: true,
  });
});

test('an unrecoverable job is given up at once, with its own message as the reason', () => {
  assert.deepEqual(jobFate(new UnrecoverableJobError('not audio'), 0, policy), {
    action: 'give-up',
    reason: 'not audio',
    unrecoverable: true,
  });
});

test('an unrecoverable error wins over an outage-looking cause: the job is not its service', () => {
  const error = new UnrecoverableJobError('corrupt', { cause: outage });
  assert.equal(
    jobFate(error, 0, { ...policy, isOutage: (e) => e === outage || e === error }).action,
    'give-up',
  );
});

test('a deferral is neither an attempt nor a failure: the job waits its delay', () => {
  assert.deepEqual(jobFate(new DeferJobError(1500), 2, policy), { action: 'defer', delayMs: 1500 });
  assert.deepEqual(jobFate(new DeferJobError(-5), 0, policy), { action: 'defer', delayMs: 0 });
});

test('a give-up that cannot be recorded: waited out in an outage, else dead-lettered', () => {
  assert.deepEqual(giveUpFailureFate(outage, 2, policy), { action: 'retry', retries: 2, outage: true });
  assert.deepEqual(giveUpFailureFate(new Error('constraint violated'), 2, policy), { action: 'dead-letter' });
});

test('the retry count is read from the retries header; absent or malformed, it is 0', () => {
  assert.equal(retriesOf({ [RETRIES_HEADER]: 3 }, RETRIES_HEADER), 3);
  assert.equal(retriesOf({ [RETRIES_HEADER]: '2' }, RETRIES_HEADER), 2);
  assert.equal(retriesOf(undefined, RETRIES_HEADER), 0);
  assert.equal(retriesOf({ [RETRIES_HEADER]: 'x' }, RETRIES_HEADER), 0);
});
