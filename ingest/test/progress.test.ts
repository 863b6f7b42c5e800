import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { isolation, testServices } from '@tonegraph/testing';
import {
  catalogChangedChannel,
  importProgressChannel,
  type CatalogChangedEvent,
  type ImportProgressEvent,
} from '@tonegraph/topics';
import type { JobCounters } from '../src/catalog/jobs.ts';
import { createChangeNotifier } from '../src/changes.ts';
import { createProgressPublisher } from '../src/progress.ts';

const iso = isolation();
let pub: Redis;
let sub: Redis;

before(() => {
  pub = new Redis(testServices().REDIS_URL);
  sub = new Redis(testServices().REDIS_URL);
});
after(() => {
  pub?.disconnect();
  sub?.disconnect();
});

const counters = (jobId: string, status: string, processed: number): JobCounters => ({
  jobId,
  libraryId: '11111111-1111-4111-8111-111111111111',
  status,
  total: 100,
  processed,
  failed: 0,
  skipped: 0,
  analysis: { total: 0, processed: 0, failed: 0 },
});

async function listen(jobId: string): Promise<ImportProgressEvent[]> {
  const events: ImportProgressEvent[] = [];
  const channel = importProgressChannel(iso.redisPrefix, jobId);
  sub.on('message', (ch: string, message: string) => {
    if (ch === channel) events.push(JSON.parse(message) as ImportProgressEvent);
  });
  await sub.subscribe(channel);
  return events;
}

test('a burst is throttled to the newest counters; the last track named carries over; the final event is sent at once', async () => {
  const jobId = 'job-a';
  const events = await listen(jobId);
  const progress = createProgressPublisher(pub, iso.redisPrefix, 100);
  for (let i = 1; i <= 50; i++)
    progress.publish(counters(jobId, 'RUNNING', i), i === 40 ? 'track-40' : undefined);
  await new Promise((r) => setTimeout(r, 250));
  progress.publish(counters(jobId, 'COMPLETED', 100));
  await progress.flush();
  await new Promise((r) => setTimeout(r, 100));

  assert.deepEqual(
    events.map((e) => [e.status, e.processed, e.lastTrackId]),
    [
      ['RUNNING', 50, 'track-40'],
      ['COMPLETED', 100, 'track-40'],
    ],
  );

  // The job is forgotten once final: a new run of the same id starts with no last track.
  progress.publish(counters(jobId, 'COMPLETED', 100));
  await progress.flush();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(events.length, 3);
  assert.equal(events[2]!.lastTrackId, undefined);
});

test('change notices: the first at once, then at most one per interval for a burst; flush sends a pending one', async () => {
  const prefix = `${iso.redisPrefix}changes:`;
  const channel = catalogChangedChannel(prefix);
  const heard: CatalogChangedEvent[] = [];
  const listener = new Redis(testServices().REDIS_URL);
  listener.on('message', (ch: string, message: string) => {
    if (ch === channel) heard.push(JSON.parse(message) as CatalogChangedEvent);
  });
  await listener.subscribe(channel);
  try {
    const changes = createChangeNotifier(pub, prefix, 300);
    changes.changed();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(heard.length, 1, 'the first change is announced at once');
    for (let i = 0; i < 20; i++) changes.changed();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(heard.length, 1, 'the burst waits for the end of the interval');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(heard.length, 2, 'one notice for the burst');
    assert.equal(heard[1]!.source, 'ingest');
    changes.changed();
    await changes.flush(); // before the interval ends
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(heard.length, 3);
  } finally {
    listener.disconnect();
  }
});
