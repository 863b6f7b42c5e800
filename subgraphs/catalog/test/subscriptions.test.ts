import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { testServices } from '@tonegraph/testing';
import { importProgressChannel, libraryEventsChannel, type ImportProgressEvent } from '@tonegraph/topics';
import { startCatalog, type Harness } from './harness.ts';

let h: Harness;
let redis: Redis;
let client: Client;
let libraryId: string;

before(async () => {
  h = await startCatalog();
  redis = new Redis(testServices().REDIS_URL);
  client = createClient({
    url: h.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
  const [row] = await h.database.sql<
    { id: string }[]
  >`insert into libraries (name, path) values ('Live', '/live') returning id`;
  libraryId = row!.id;
});
after(async () => {
  await client?.dispose();
  redis?.disconnect();
  await h?.close();
});

type Progress = { status: string; processed: number; total: number; job: { id: string; mode: string } };

/** Subscribes, runs `during` once the first event has arrived, and collects events until the server completes. */
async function collect<T>(
  query: string,
  variables: Record<string, unknown>,
  during: () => Promise<void>,
): Promise<T[]> {
  const events: T[] = [];
  let first: () => void;
  const started = new Promise<void>((resolve) => (first = resolve));
  const done = new Promise<void>((resolve, reject) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) reject(new Error(JSON.stringify(result.errors)));
          events.push(result.data as T);
          first();
        },
        error: reject,
        complete: resolve,
      },
    );
  });
  await started;
  await during();
  await done;
  return events;
}

const event = (jobId: string, status: string, processed: number): ImportProgressEvent => ({
  jobId,
  libraryId,
  status,
  total: 10,
  processed,
  failed: 0,
  skipped: 0,
  at: new Date().toISOString(),
});

test('importProgress sends the current state, then live events, and ends with the final one', async () => {
  const [job] = await h.database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode) values (${libraryId}, 'FULL') returning id`;
  const jobId = job!.id;
  const query =
    'subscription ($id: ID!) { importProgress(jobId: $id) { status processed total job { id mode } } }';
  const events = await collect<{ importProgress: Progress }>(query, { id: jobId }, async () => {
    const channel = importProgressChannel(h.redisPrefix, jobId);
    for (const [status, processed] of [
      ['RUNNING', 4],
      ['RUNNING', 9],
      ['COMPLETED', 10],
    ] as const) {
      assert.equal(
        await redis.publish(channel, JSON.stringify(event(jobId, status, processed))),
        1,
        'one subscriber',
      );
    }
  });
  // Events are snapshots: a burst may reach a client as fewer, newer events, never out of order.
  const seen = events.map((e) => [e.importProgress.status, e.importProgress.processed] as const);
  assert.deepEqual(seen[0], ['QUEUED', 0]);
  assert.deepEqual(seen.at(-1), ['COMPLETED', 10]);
  const counts = seen.map(([, n]) => n);
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => a - b),
  );
  assert.ok(seen.length >= 2 && seen.length <= 4);
  assert.equal(events[0]!.importProgress.job.id, jobId);
  assert.equal(events[0]!.importProgress.job.mode, 'FULL');
  // The subscription ended: nothing listens on the channel any more.
  const [, listeners] = (await redis.call(
    'PUBSUB',
    'NUMSUB',
    importProgressChannel(h.redisPrefix, jobId),
  )) as [string, number];
  assert.equal(listeners, 0);
});

test('importProgress resolves the event’s last track; one that is gone is null', async () => {
  const [job] = await h.database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode) values (${libraryId}, 'FULL') returning id`;
  const [track] = await h.database.sql<{ id: string }[]>`
    insert into tracks (library_id, title, file_path, file_size, format)
    values (${libraryId}, 'Last One', '/live/last.flac', 1, 'flac') returning id`;
  const jobId = job!.id;
  const events = await collect<{
    importProgress: { status: string; lastTrack: { id: string; title: string } | null };
  }>(
    'subscription ($id: ID!) { importProgress(jobId: $id) { status lastTrack { id title } } }',
    { id: jobId },
    async () => {
      const channel = importProgressChannel(h.redisPrefix, jobId);
      await redis.publish(channel, JSON.stringify({ ...event(jobId, 'RUNNING', 5), lastTrackId: track!.id }));
      await redis.publish(
        channel,
        JSON.stringify({
          ...event(jobId, 'COMPLETED', 10),
          lastTrackId: '00000000-0000-4000-8000-000000000000',
        }),
      );
    },
  );
  assert.equal(events[0]!.importProgress.lastTrack, null, 'the state at subscription time names none');
  const running = events.find((e) => e.importProgress.status === 'RUNNING');
  if (running) assert.deepEqual(running.importProgress.lastTrack, { id: track!.id, title: 'Last One' });
  // A track that is gone (or never was) is null, not an error.
  assert.deepEqual(events.at(-1), { importProgress: { status: 'COMPLETED', lastTrack: null } });
});

test('a subscriber to a finished job gets its final state at once', async () => {
  const [job] = await h.database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode, status, total, processed) values (${libraryId}, 'INCREMENTAL', 'COMPLETED', 3, 3) returning id`;
  const jobId = job!.id;
  const events = await collect<{ importProgress: Progress }>(
    'subscription ($id: ID!) { importProgress(jobId: $id) { status processed } }',
    { id: jobId },
    async () => {},
  );
  assert.deepEqual(events, [{ importProgress: { status: 'COMPLETED', processed: 3 } }]);
});

test('libraryEvents carries import progress with the library', async () => {
  let timer: NodeJS.Timeout | undefined;
  const received = await new Promise<unknown>((resolve, reject) => {
    const stop = client.subscribe(
      {
        query: `subscription { libraryEvents(libraryId: "${libraryId}") { type library { name } progress { status processed } } }`,
      },
      {
        next: (result) => {
          stop();
          resolve(result.data);
        },
        error: reject,
        complete: () => {},
      },
    );
    // Publish until the server has subscribed: the subscription is set up asynchronously.
    const payload = JSON.stringify({ type: 'IMPORT_PROGRESS', ...event('x', 'RUNNING', 5) });
    timer = setInterval(
      () => void redis.publish(libraryEventsChannel(h.redisPrefix, libraryId), payload),
      50,
    );
  }).finally(() => clearInterval(timer));
  assert.deepEqual(received, {
    libraryEvents: {
      type: 'IMPORT_PROGRESS',
      library: { name: 'Live' },
      progress: { status: 'RUNNING', processed: 5 },
    },
  });
});

test('a malformed id is rejected with BAD_USER_INPUT', async () => {
  const result = await new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>(
    (resolve) => {
      client.subscribe(
        { query: 'subscription { importProgress(jobId: "nope") { status } }' },
        {
          next: (r) => resolve({ errors: r.errors ?? [] }),
          error: (errors) => resolve({ errors: errors as { extensions?: Record<string, unknown> }[] }),
          complete: () => resolve({}),
        },
      );
    },
  );
  assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});
