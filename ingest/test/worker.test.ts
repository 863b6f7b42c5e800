// The worker against a real RabbitMQ, with stand-in handlers: what happens to
// a job that keeps failing, one that can never succeed, one whose give-up
// cannot be recorded, a deferred one and a malformed message. The decision
// itself is unit-tested in packages/queues/test/fate.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { createLogger } from '@tonegraph/logger';
import {
  BrokerUnavailableError,
  DeferJobError,
  RETRIES_HEADER,
  UnrecoverableJobError,
  allQueues,
  queueNames,
  type EnrichmentJob,
  type FileJob,
} from '@tonegraph/queues';
import { isolation, testServices } from '@tonegraph/testing';
import { startWorker, type Worker } from '../src/queue/worker.ts';

const names = queueNames(`tonegraph.${isolation().tag}`, isolation().queue('scans'));
const attempts = new Map<string, number>();
const gaveUp = new Map<string, PromiseWithResolvers<{ reason: string; error: unknown }>>();
const enriched = new Map<string, PromiseWithResolvers<EnrichmentJob>>();
const waitGaveUp = (path: string) => gaveUp.set(path, Promise.withResolvers()).get(path)!.promise;
let worker: Worker;
let conn: ChannelModel;
let ch: ConfirmChannel;

const file = (path: string): FileJob => ({ jobId: 'job-1', libraryId: 'lib-1', path, action: 'upsert' });

/** The next message dead-lettered on `queue`. */
async function nextDead(queue: string) {
  const got = Promise.withResolvers<amqp.ConsumeMessage>();
  const { consumerTag } = await ch.consume(queue, (msg) => msg && got.resolve(msg), { noAck: true });
  const msg = await got.promise;
  await ch.cancel(consumerTag);
  return msg;
}

before(async () => {
  worker = await startWorker(
    {
      scan: async () => {},
      files: {
        handle: (job) =>
          Promise.resolve().then(() => {
            attempts.set(job.path, (attempts.get(job.path) ?? 0) + 1);
            if (job.path.startsWith('flaky')) throw new Error('read failed');
            if (job.path.startsWith('bad')) throw new UnrecoverableJobError('not an audio file');
          }),
        gaveUp: (job, reason, error) =>
          Promise.resolve().then(() => {
            gaveUp.get(job.path)?.resolve({ reason, error });
            if (job.path.includes('unrecordable')) throw new Error('cannot record');
          }),
      },
      enrichment: {
        concurrency: 2,
        handle: (job) =>
          Promise.resolve().then(() => {
            if (!job.deferrals) throw new DeferJobError(100, 'host down');
            enriched.get(job.path)?.resolve(job);
          }),
        gaveUp: async () => {},
      },
    },
    {
      url: testServices().AMQP_URL,
      names,
      concurrency: 4,
      maxRetries: 2,
      retryDelayMs: 50,
      log: createLogger({ service: 'worker-test', level: 'silent' }),
    },
  );
  conn = await amqp.connect(testServices().AMQP_URL);
  ch = await conn.createConfirmChannel();
});

after(async () => {
  await worker.stop(1000);
  for (const q of allQueues(names)) await ch.deleteQueue(q).catch(() => undefined);
  await conn.close();
});

test('a job that keeps failing is retried maxRetries times, then given up with the last reason', async () => {
  const given = waitGaveUp('flaky-1');
  await worker.enqueue('files', [file('flaky-1')]);
  const { reason } = await given;
  assert.equal(attempts.get('flaky-1'), 3, 'the first attempt and two retries');
  assert.equal(reason, 'gave up after 3 attempts: read failed');
});

test('an unrecoverable job is given up on its first attempt, with the error for its stage to record', async () => {
  const given = waitGaveUp('bad-1');
  await worker.enqueue('files', [file('bad-1')]);
  const { reason, error } = await given;
  assert.equal(attempts.get('bad-1'), 1);
  assert.equal(reason, 'not an audio file');
  assert.ok(error instanceof UnrecoverableJobError);
});

test('a give-up that cannot be recorded dead-letters the message intact, with its retry count', async () => {
  const dead = nextDead(names.dead);
  await worker.enqueue('files', [file('flaky-unrecordable')]);
  const msg = await dead;
  assert.deepEqual(JSON.parse(msg.content.toString()), file('flaky-unrecordable'));
  assert.equal(msg.properties.headers?.[RETRIES_HEADER], 2);
  assert.equal(attempts.get('flaky-unrecordable'), 3);
});

test('a deferred job waits on the delayed queue and comes back, its deferrals counted', async () => {
  const done = Promise.withResolvers<EnrichmentJob>();
  enriched.set('song.flac', done);
  await worker.enqueue('enrichment', [{ jobId: 'job-1', trackId: 't-1', path: 'song.flac' }]);
  assert.deepEqual(await done.promise, { jobId: 'job-1', trackId: 't-1', path: 'song.flac', deferrals: 1 });
});

test('a malformed message is dead-lettered without reaching the handler', async () => {
  const dead = nextDead(names.dead);
  ch.sendToQueue(names.files, Buffer.from('{"jobId": "job-1"'), { persistent: true });
  assert.equal((await dead).content.toString(), '{"jobId": "job-1"');
});

test('once stopped, enqueueing fails with BrokerUnavailableError (an outage, retried by its caller)', async () => {
  await worker.stop(1000);
  assert.equal(worker.connected(), false);
  await assert.rejects(worker.enqueue('files', [file('late')]), BrokerUnavailableError);
});
