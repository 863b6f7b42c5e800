import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { testServices } from '@tonegraph/testing';
import { analysisCompletedChannel, type AnalysisCompletedEvent } from '@tonegraph/topics';
import { startAnalysis, type Harness } from './harness.ts';
import { analysis, hashOf, uuid } from './fixtures.ts';

let h: Harness;
let redis: Redis;
let client: Client;

before(async () => {
  h = await startAnalysis();
  redis = new Redis(testServices().REDIS_URL);
  client = createClient({
    url: h.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
});
after(async () => {
  await client?.dispose();
  redis?.disconnect();
  await h?.close();
});

const QUERY = `subscription ($lib: ID!) { analysisCompleted(libraryId: $lib) {
  status error at track { id analysis { status tempo { bpm } key { camelot } } }
} }`;

test('analysisCompleted delivers a published event with the track’s analysis as stored', async () => {
  const libraryId = uuid();
  const trackId = uuid();
  const contentHash = hashOf('live');
  await h.store.linkTrack({ trackId, contentHash, libraryId, albumId: null });
  const { completed } = await h.store.saveAnalysis(contentHash, analysis({ bpm: 128, camelot: '9A' }));
  assert.equal(completed[0]?.trackId, trackId);
  const event: AnalysisCompletedEvent = {
    trackId,
    libraryId,
    albumId: null,
    status: 'done',
    error: null,
    analyzerVersion: '1',
    at: '2026-11-29T02:00:00.000Z',
  };
  let timer: NodeJS.Timeout | undefined;
  const received = await new Promise<unknown>((resolve, reject) => {
    const stop = client.subscribe(
      { query: QUERY, variables: { lib: libraryId } },
      {
        next: (result) => {
          stop();
          if (result.errors) reject(new Error(JSON.stringify(result.errors)));
          else resolve(result.data);
        },
        error: reject,
        complete: () => {},
      },
    );
    // Publish until the server has subscribed: the subscription is set up asynchronously.
    const channel = analysisCompletedChannel(h.redisPrefix, libraryId);
    timer = setInterval(() => void redis.publish(channel, JSON.stringify(event)), 50);
  }).finally(() => clearInterval(timer));
  assert.deepEqual(received, {
    analysisCompleted: {
      status: 'DONE',
      error: null,
      at: '2026-11-29T02:00:00.000Z',
      track: { id: trackId, analysis: { status: 'DONE', tempo: { bpm: 128 }, key: { camelot: '9A' } } },
    },
  });
});

test('a malformed library id is rejected with BAD_USER_INPUT', async () => {
  const errors = await new Promise<readonly { extensions?: Record<string, unknown> }[]>((resolve) => {
    client.subscribe(
      { query: QUERY, variables: { lib: 'nope' } },
      {
        next: (r) => resolve(r.errors ?? []),
        error: (e) => resolve(e as { extensions?: Record<string, unknown> }[]),
        complete: () => resolve([]),
      },
    );
  });
  assert.equal(errors[0]?.extensions?.code, 'BAD_USER_INPUT');
});
