// The admission queue both admission stages share: with no wait bound
// (maxWaitMs 0), a waiting caller is bounded by its deadline alone — it is
// admitted however long it waited while its deadline allows, and shed
// ('deadline') when its turn comes after its deadline has passed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdmissionQueue, Shed } from '../src/limits/admission-queue.ts';

test('without a wait bound a waiting caller is admitted whenever its turn comes within its deadline', async () => {
  const queue = createAdmissionQueue({ maxConcurrent: 1, maxQueue: 4, maxWaitMs: 0 });
  const release = await queue.enter();
  const waiting = queue.enter({ deadline: performance.now() + 60_000 });
  assert.equal(queue.refusal(), undefined, 'a caller arriving now is not refused for the wait');
  await sleep(700);
  assert.equal(queue.queued, 1);
  release();
  const next = await waiting;
  assert.equal(queue.active, 1);
  next();
  assert.equal(queue.active, 0);
});

test('a waiting caller whose deadline has passed when its turn comes is shed, and the turn goes on', async () => {
  const queue = createAdmissionQueue({ maxConcurrent: 1, maxQueue: 4, maxWaitMs: 0 });
  const release = await queue.enter();
  const late = queue.enter({ deadline: performance.now() + 100 });
  const patient = queue.enter({ deadline: performance.now() + 60_000 });
  const lateOutcome = late.then(
    () => 'admitted',
    (e: unknown) => e,
  );
  await sleep(200);
  release();
  const shed = await lateOutcome;
  assert.ok(shed instanceof Shed, `late caller: ${String(shed)}`);
  assert.equal(shed.reason, 'deadline');
  assert.ok(shed.retryAfter >= 1);
  (await patient)();
  assert.equal(queue.queued, 0);
  assert.equal(queue.active, 0);
});

test('a caller whose deadline leaves less than the queue ahead is shed on arrival', async () => {
  const queue = createAdmissionQueue({ maxConcurrent: 1, maxQueue: 4, maxWaitMs: 0 });
  const release = await queue.enter();
  await assert.rejects(
    queue.enter({ deadline: performance.now() + 1 }),
    (e: unknown) => e instanceof Shed && e.reason === 'deadline',
  );
  assert.equal(queue.queued, 0);
  release();
});
