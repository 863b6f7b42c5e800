import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { eventually, isolation, testServices } from '@tonegraph/testing';
import {
  catalogChangedChannel,
  importProgressChannel,
  type CatalogChangedEvent,
  type ImportProgressEvent,
} from '@tonegraph/topics';
import type { JobCounters } from '@tonegraph/catalog/store';
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
  await eventually(() => events.length === 1, {
    what: 'the burst is sent after the throttle interval',
    timeoutMs: 10_000,
  });
  progress.publish(counters(jobId, 'COMPLETED', 100));
  await progress.flush();
  await eventually(() => events.length === 2, { what: 'the final event is sent', timeoutMs: 10_000 });
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
  await eventually(() => events.length === 3, { what: 'the new run is sent', timeoutMs: 10_000 });
  assert.equal(events[2]!.lastTrackId, undefined);
});

// Waits for the notices rather than sleeping fixed times, and checks the
// interval by a lower bound, which a busy machine cannot break.
test('change notices: the first at once, then at most one per interval for a burst; flush sends a pending one', async () => {
  const interval = 3000;
  const prefix = `${iso.redisPrefix}changes:`;
  const channel = catalogChangedChannel(prefix);
  const heard: { event: CatalogChangedEvent; at: number }[] = [];
  const listener = new Redis(testServices().REDIS_URL);
  listener.on('message', (ch: string, message: string) => {
    if (ch === channel)
      heard.push({ event: JSON.parse(message) as CatalogChangedEvent, at: performance.now() });
  });
  await listener.subscribe(channel);
  try {
    const changes = createChangeNotifier(pub, prefix, interval);
    const started = performance.now();
    changes.changed();
    await eventually(() => heard.length === 1, {
      what: 'the first change is announced at once',
      timeoutMs: interval / 2,
    });
    for (let i = 0; i < 20; i++) changes.changed();
    await eventually(() => heard.length === 2, { what: 'a notice for the burst', timeoutMs: interval * 3 });
    assert.ok(
      heard[1]!.at - started >= interval * 0.95,
      `the burst waited for the end of the interval (${Math.round(heard[1]!.at - started)} ms)`,
    );
    assert.equal(heard[1]!.event.source, 'ingest');
    changes.changed();
    await changes.flush(); // long before the interval ends
    await eventually(() => heard.length === 3, {
      what: 'flush sends the pending notice',
      timeoutMs: interval / 2,
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(heard.length, 3, 'one notice for the burst, one for the flush');
  } finally {
    listener.disconnect();
  }
});
