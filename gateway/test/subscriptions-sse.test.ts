// Subscriptions over HTTP: graphql-sse on /graphql/stream serves what
// graphql-ws does (errors included), a subscription POSTed to /graphql is
// refused with directions, and the HTTP request deadline leaves streams alone.
// The graphql-ws cases: subscriptions.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createClient as createSseClient } from 'graphql-sse';
import { importProgressChannel, libraryEventsChannel } from '@tonegraph/topics';
import { eventually } from '@tonegraph/testing';
import {
  type LiveSubscriptions,
  type Progress,
  progressQuery,
  startLiveSubscriptions,
} from './live-subscriptions.ts';
import { startGateway, watch, wsClient, type Result, type RunningGateway } from './support.ts';

let live: LiveSubscriptions;
let gateway: RunningGateway;

before(async () => {
  live = await startLiveSubscriptions();
  gateway = await startGateway(live.supergraphSdl);
});

after(async () => {
  await gateway?.stop();
  await live?.close();
});

test('SSE serves the same subscriptions, errors included, and closing the stream ends the upstream', async () => {
  const sse = createSseClient({ url: gateway.url + '/stream', retryAttempts: 0 });
  try {
    const jobId = await live.newJob();
    const results: Result<Progress>[] = [];
    let first!: () => void;
    const started = new Promise<void>((resolve) => (first = resolve));
    const done = new Promise<void>((resolve, reject) => {
      sse.subscribe<Progress>(
        { query: progressQuery, variables: { id: jobId } },
        {
          next: (r) => {
            results.push(r as Result<Progress>);
            first();
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    await started;
    await live.redis.publish(
      importProgressChannel(live.catalog.redisPrefix, jobId),
      live.progressEvent(jobId, 'COMPLETED', 10),
    );
    await done;
    assert.deepEqual(
      results.map((r) => [r.data?.importProgress.status, r.data?.importProgress.job.library.probe]),
      [
        ['QUEUED', `library:${live.libraryId}`],
        ['COMPLETED', `library:${live.libraryId}`],
      ],
    );

    // The subgraph's error: a last event with the errors, then the stream completes.
    const failed = await new Promise<Result<unknown>[]>((resolve, reject) => {
      const seen: Result<unknown>[] = [];
      sse.subscribe(
        { query: 'subscription { importProgress(jobId: "nope") { status } }' },
        { next: (r) => seen.push(r as Result<unknown>), error: reject, complete: () => resolve(seen) },
      );
    });
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');

    // A client that closes the stream.
    const lib = randomUUID();
    const channel = libraryEventsChannel(live.catalog.redisPrefix, lib);
    const stop = sse.subscribe(
      { query: `subscription { libraryEvents(libraryId: "${lib}") { type } }` },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    await eventually(async () => (await live.listeners(channel)) === 1);
    stop();
    await eventually(async () => (await live.listeners(channel)) === 0);
    await eventually(() => gateway.gateway.subscriptionStats().upstream === 0);
  } finally {
    sse.dispose();
  }
});

test('a subscription sent as HTTP POST is refused with directions', async () => {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'subscription { libraryEvents(libraryId: "x") { type } }' }),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
  assert.equal(body.errors[0]?.extensions.code, 'OPERATION_NOT_SUPPORTED');
  assert.match(body.errors[0].message, /WebSocket .* \/graphql.*\/graphql\/stream/);
});

test('the HTTP request deadline does not apply to subscription streams or their entity fetches', async () => {
  // A deadline far shorter than the stream: SSE and WebSocket events after it still get the probe's fields.
  const gw = await startGateway(live.supergraphSdl, { limits: { requestTimeoutMs: 200 } });
  const sse = createSseClient({ url: gw.url + '/stream', retryAttempts: 0 });
  const ws = wsClient(gw.wsUrl);
  try {
    const jobId = await live.newJob();
    const overSse: Result<Progress>[] = [];
    const sseDone = new Promise<void>((resolve, reject) => {
      sse.subscribe<Progress>(
        { query: progressQuery, variables: { id: jobId } },
        { next: (r) => overSse.push(r as Result<Progress>), error: reject, complete: resolve },
      );
    });
    const overWs = watch<Progress>(ws, progressQuery, { id: jobId });
    await eventually(() => overSse.length === 1 && overWs.results.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await live.redis.publish(
      importProgressChannel(live.catalog.redisPrefix, jobId),
      live.progressEvent(jobId, 'COMPLETED', 10),
    );
    await sseDone;
    await overWs.ended;
    for (const results of [overSse, overWs.results]) {
      assert.deepEqual(
        results.map((r) => [
          r.data?.importProgress.status,
          r.data?.importProgress.job.library.probe,
          r.errors,
        ]),
        [
          ['QUEUED', `library:${live.libraryId}`, undefined],
          ['COMPLETED', `library:${live.libraryId}`, undefined],
        ],
      );
    }
  } finally {
    sse.dispose();
    await ws.dispose();
    await gw.stop();
  }
});
