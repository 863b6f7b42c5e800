// The catalog store's scan and job API against PostgreSQL (and RabbitMQ for
// the scan request): the one requestScan the mutation, ingest's watcher and
// the CLI share; the job ledger counting each file once however often it is
// settled; a job completing only when everything it waits for has ended.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { isolation, testServices } from '@tonegraph/testing';
import { createScanPublisher, type ScanRequest } from '@tonegraph/queues';
import {
  failJob,
  findLibrary,
  finishIfDone,
  hasActiveScan,
  markAnalysisPending,
  recordError,
  requestScan,
  ScanNotQueuedError,
  setLibraryStatus,
  setWatchMode,
  settleAnalyses,
  settleFiles,
  startJob,
} from '../src/store/index.ts';
import { startStore, type StoreFixture } from './store-support.ts';

let s: StoreFixture;
before(async () => {
  s = await startStore();
});
after(() => s?.close());

const jobRow = async (id: string) => {
  const [row] = await s.database.sql<{ status: string; finished_at: string | null; total: number }[]>`
    select status, finished_at, total from import_jobs where id = ${id}`;
  return row;
};

test('requestScan creates a QUEUED job and publishes its request, confirmed, on the scan queue', async () => {
  const libraryId = await s.addLibrary();
  const queue = isolation().queue('store-scan');
  const publisher = createScanPublisher(testServices().AMQP_URL, queue, 2000);
  const conn = await amqp.connect(testServices().AMQP_URL);
  try {
    const job = await requestScan(s.database.db, publisher, libraryId, 'FULL');
    assert.equal(job.status, 'QUEUED');
    assert.equal(job.mode, 'FULL');
    assert.equal((await jobRow(job.id))?.status, 'QUEUED');
    const ch = await conn.createChannel();
    const message = await ch.get(queue, { noAck: true });
    assert.ok(message, 'the request is on the queue');
    const request = JSON.parse(message.content.toString()) as ScanRequest;
    assert.deepEqual(request, { jobId: job.id, libraryId, mode: 'FULL', requestedAt: job.createdAt });
    assert.equal(message.properties.messageId, job.id);
    assert.equal(message.properties.deliveryMode, 2, 'persistent');
    assert.equal(await hasActiveScan(s.database.db, libraryId), true);
    await ch.deleteQueue(queue);
  } finally {
    await conn.close();
    await publisher.close();
  }
});

test('requestScan defaults to an incremental scan', async () => {
  const libraryId = await s.addLibrary();
  const published: ScanRequest[] = [];
  const job = await requestScan(
    s.database.db,
    { publish: (r) => Promise.resolve(void published.push(r)) },
    libraryId,
  );
  assert.equal(job.mode, 'INCREMENTAL');
  assert.deepEqual(
    published.map((r) => [r.jobId, r.mode]),
    [[job.id, 'INCREMENTAL']],
  );
});

test('requestScan marks the job FAILED and says which when the publisher rejects', async () => {
  const libraryId = await s.addLibrary();
  const refused = new Error('broker down');
  const error = await requestScan(s.database.db, { publish: () => Promise.reject(refused) }, libraryId).then(
    () => assert.fail('requestScan resolved'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ScanNotQueuedError);
  assert.equal(error.cause, refused);
  const row = await jobRow(error.jobId);
  assert.equal(row?.status, 'FAILED');
  assert.ok(row?.finished_at && Date.parse(row.finished_at) > 0, 'finished_at is set');
  assert.equal(await hasActiveScan(s.database.db, libraryId), false, 'no job left queued');
});

test('a job counts each planned file once, however often a file is settled', async () => {
  const libraryId = await s.addLibrary();
  const job = await requestScan(s.database.db, { publish: async () => {} }, libraryId);
  const plan = [
    { path: '/a.flac', action: 'upsert', state: 'pending' },
    { path: '/b.flac', action: 'upsert', state: 'pending' },
    { path: '/c.flac', action: 'delete', state: 'pending' },
    { path: '/d.flac', action: 'upsert', state: 'skipped' },
  ] as const;
  const pending = await startJob(s.database.db, job.id, plan);
  assert.deepEqual(pending.map((p) => `${p.path}:${p.action}`).sort(), [
    '/a.flac:upsert',
    '/b.flac:upsert',
    '/c.flac:delete',
  ]);
  // A redelivered scan request plans nothing twice.
  assert.equal((await startJob(s.database.db, job.id, plan)).length, 3);
  assert.equal((await jobRow(job.id))?.total, 4);

  const settle = (path: string, state: 'done' | 'failed') =>
    s.database.db.transaction((tx) => settleFiles(tx, [{ jobId: job.id, path, state }]));
  assert.equal(await settle('/a.flac', 'done'), 1);
  assert.equal(await settle('/a.flac', 'done'), 0, 'a redelivery counts nothing');
  await s.database.db.transaction(async (tx) => {
    await recordError(tx, job.id, '/b.flac', 'metadata', 'not audio');
    await recordError(tx, job.id, '/b.flac', 'metadata', 'not audio');
  });
  assert.equal(await settle('/b.flac', 'failed'), 1);
  const running = await finishIfDone(s.database.db, job.id);
  assert.equal(running?.status, 'RUNNING', 'one file is still pending');
  assert.deepEqual(
    { total: running.total, processed: running.processed, failed: running.failed, skipped: running.skipped },
    { total: 4, processed: 3, failed: 1, skipped: 1 },
  );
  const errors = await s.database.sql`select path from import_errors where job_id = ${job.id}`;
  assert.equal(errors.length, 1, 'a redelivered failure adds no second error');

  // The job also waits for the analyses it queued.
  await s.database.db.transaction((tx) => markAnalysisPending(tx, [{ jobId: job.id, path: '/a.flac' }]));
  await s.database.db.transaction((tx) => markAnalysisPending(tx, [{ jobId: job.id, path: '/a.flac' }]));
  assert.equal(await settle('/c.flac', 'done'), 1);
  assert.equal((await finishIfDone(s.database.db, job.id))?.status, 'RUNNING', 'an analysis is pending');
  await setLibraryStatus(s.database.db, libraryId, 'SCANNING');
  const analysed = () =>
    s.database.db.transaction((tx) =>
      settleAnalyses(tx, [{ jobId: job.id, path: '/a.flac', state: 'done' }]),
    );
  assert.equal(await analysed(), 1);
  assert.equal(await analysed(), 0);
  const done = await finishIfDone(s.database.db, job.id);
  assert.equal(done?.status, 'COMPLETED');
  assert.deepEqual(done.analysis, { total: 1, processed: 1, failed: 0 });
  const library = await findLibrary(s.database.db, libraryId);
  assert.equal(library?.status, 'ONLINE', 'the library is idle again in the same transaction');
  assert.ok(library.lastScannedAt);
  assert.equal(await hasActiveScan(s.database.db, libraryId), false);
});

test('failJob ends a job that cannot run, with its reason as an import error', async () => {
  const libraryId = await s.addLibrary();
  const job = await requestScan(s.database.db, { publish: async () => {} }, libraryId);
  await failJob(s.database.db, job.id, '/music/gone', 'library root is not reachable');
  assert.equal((await jobRow(job.id))?.status, 'FAILED');
  const [error] = await s.database.sql<{ stage: string; reason: string }[]>`
    select stage, reason from import_errors where job_id = ${job.id}`;
  assert.deepEqual({ ...error }, { stage: 'scan', reason: 'library root is not reachable' });
});

test('setWatchMode records how libraries are watched, and nothing for no library', async () => {
  const a = await s.addLibrary();
  const b = await s.addLibrary();
  await setWatchMode(s.database.db, [a, b], 'POLLING', 'no events on this file system');
  await setWatchMode(s.database.db, [], 'OFF', null);
  await setWatchMode(s.database.db, [b], 'EVENTS', null);
  const rows = await s.database.sql<{ id: string; watch_mode: string; watch_reason: string | null }[]>`
    select id, watch_mode, watch_reason from libraries where id in ${s.database.sql([a, b])}`;
  const byId = new Map(rows.map((r) => [r.id, [r.watch_mode, r.watch_reason]]));
  assert.deepEqual(byId.get(a), ['POLLING', 'no events on this file system']);
  assert.deepEqual(byId.get(b), ['EVENTS', null]);
  assert.equal(await findLibrary(s.database.db, '00000000-0000-0000-0000-000000000000'), undefined);
});
