import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  createHostClient,
  createRateLimiter,
  createSharedRateLimiter,
  type HostClient,
} from '../src/index.ts';
import {
  fakeRecording,
  json,
  startFakes,
  startFakeServer,
  type Fakes,
  type FakeServer,
  type RecordedRequest,
} from './fakes/index.ts';
import { FAST_POLICY, testEnricher, useRedis, useTempDir } from './helpers.ts';

/** Asserts no request arrived more than `jitterMs` ahead of its slot counted from any earlier one; returns the mean gap. */
function assertSpacing(requests: readonly RecordedRequest[], intervalMs: number, jitterMs = 90): number {
  const at = requests.map((r) => r.at).sort((a, b) => a - b);
  const mean = (at.at(-1)! - at[0]!) / (at.length - 1);
  for (let i = 0; i < at.length; i++) {
    for (let j = i + 1; j < at.length; j++) {
      assert.ok(
        at[j]! - at[i]! >= (j - i) * intervalMs - jitterMs,
        `requests ${i}..${j} ${(at[j]! - at[i]!).toFixed(0)} ms apart`,
      );
    }
  }
  return mean;
}

describe('rate limits', () => {
  const { redis, prefix } = useRedis();
  const tmp = useTempDir();
  let fake: FakeServer;
  let fakes: Fakes;
  const closers: Array<{ close(): Promise<void> }> = [];
  const recordings = Array.from({ length: 8 }, (_, i) =>
    fakeRecording({
      title: `Song ${i}`,
      artist: 'Spacing Band',
      durationMs: 200_000 + i * 1000,
      releases: [{ title: 'Spaced Out' }],
    }),
  );
  before(async () => {
    fake = await startFakeServer((_req, res) => json(res, 200, { ok: true }));
    fakes = await startFakes({ recordings });
  });
  after(async () => {
    await Promise.all(closers.map((c) => c.close()));
    await fake.close();
    await fakes.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fakes.musicbrainz.requests.length = 0;
  });

  test('a burst lets that many through at once, then the rate applies', async () => {
    const limiter = createRateLimiter({ perSecond: 10, burst: 3 });
    const t0 = Date.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, () => limiter.acquire().then(() => times.push(Date.now() - t0))),
    );
    times.sort((a, b) => a - b);
    assert.ok(times[2]! < 50, `third at ${times[2]} ms`);
    assert.ok(times[3]! >= 90 && times[4]! >= 190, `then ${times[3]} and ${times[4]} ms`);
  });

  test('pauseUntil holds every slot back', async () => {
    const limiter = createRateLimiter({ perSecond: 100 });
    const t0 = Date.now();
    limiter.pauseUntil(t0 + 300);
    await limiter.acquire();
    assert.ok(Date.now() - t0 >= 290);
  });

  // What the limiter decides is checked exactly, without timing slack: the
  // slots the shared schedule hands out, and that no request reaches the
  // server before its slot. How late a request arrives after its slot is
  // the machine's scheduling (a starved test process records arrivals late),
  // not the limiter's, and is not asserted.
  test('two processes sharing the Redis limiter keep the rate together', async () => {
    const key = `${prefix}ratelimit:shared-test`;
    const slots: number[] = [];
    const client = (): HostClient => {
      const rate = { perSecond: 10 };
      const c = createHostClient({
        name: 'shared',
        baseUrl: fake.url,
        userAgent: 'Tonegraph/0.1.0 ( test )',
        rate,
        limiter: createSharedRateLimiter(redis(), key, rate, createRateLimiter(rate), (at) => slots.push(at)),
        ...FAST_POLICY,
        bulkhead: { concurrency: 8, queue: 50 },
      });
      closers.push(c);
      return c;
    };
    const [a, b] = [client(), client()];
    await Promise.all([a.getJson('/warm'), b.getJson('/warm')]);
    fake.requests.length = 0;
    slots.length = 0;
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).getJson(`/s/${i}`)));
    assert.equal(slots.length, 12);
    const scheduled = [...slots].sort((x, y) => x - y);
    for (let i = 1; i < scheduled.length; i++)
      assert.ok(
        scheduled[i]! - scheduled[i - 1]! >= 100,
        `slots ${i - 1} and ${i} ${scheduled[i]! - scheduled[i - 1]!} ms apart in the shared schedule`,
      );
    // The k-th request to arrive cannot precede the k-th slot. Arrivals are
    // stamped on the monotonic clock, slots on Redis's wall clock: both read
    // as wall-clock ms here (2 ms: each is read in whole ms).
    const wall = Date.now() - (performance.timeOrigin + performance.now());
    const arrived = fake.requests.map((r) => r.at + wall).sort((x, y) => x - y);
    assert.equal(arrived.length, 12);
    arrived.forEach((at, k) =>
      assert.ok(
        at >= scheduled[k]! - 2,
        `request ${k} arrived ${(scheduled[k]! - at).toFixed(0)} ms before its slot`,
      ),
    );
    const mean = (arrived.at(-1)! - arrived[0]!) / (arrived.length - 1);
    console.log(`shared limiter, 2 clients at 10/s together, 12 calls: mean gap ${mean.toFixed(1)} ms`);
  });

  test('enrichTrack keeps MusicBrainz requests to the configured rate', async () => {
    const e = testEnricher(
      fakes,
      { redis: redis(), prefix: `${prefix}mb-rate:`, coverDir: path.join(tmp(), 'covers') },
      {
        musicbrainz: {
          ...FAST_POLICY,
          baseUrl: fakes.musicbrainz.url,
          contact: 'test@tonegraph.test',
          ratePerSecond: 10,
          bulkhead: { concurrency: 8 },
        },
      },
    );
    closers.push(e);
    const results = await Promise.all(
      recordings.map((r, i) =>
        e.enrichTrack({
          title: `Song ${i}`,
          artist: 'Spacing Band',
          album: 'Spaced Out',
          durationMs: r.length!,
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.recording?.id),
      recordings.map((r) => r.id),
    );
    assert.equal(fakes.musicbrainz.requests.length, 8);
    const mean = assertSpacing(fakes.musicbrainz.requests, 100);
    console.log(`MusicBrainz through enrichTrack at 10/s, 8 tracks: mean gap ${mean.toFixed(1)} ms`);
  });
});
