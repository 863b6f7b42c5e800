import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import {
  createHostClient,
  createResponseCache,
  HostUnavailableError,
  MalformedResponseError,
  parseRetryAfter,
  type HostClientOptions,
} from '../src/index.ts';
import { json, startFakeServer, type FakeServer } from './fakes/index.ts';
import { FAST_POLICY, useRedis } from './helpers.ts';

describe('host client policies', () => {
  const { redis, prefix } = useRedis();
  let fake: FakeServer;
  const clients: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    fake = await startFakeServer((req, res) =>
      req.url.startsWith('/missing')
        ? json(res, 404, { error: 'Not Found' })
        : json(res, 200, { ok: true, url: req.url }),
    );
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.faults = {};
  });
  const client = (extra: Partial<HostClientOptions> = {}) => {
    const c = createHostClient({
      name: 'fake',
      baseUrl: fake.url,
      userAgent: 'Tonegraph/0.1.0 ( test )',
      rate: { perSecond: 10 },
      ...FAST_POLICY,
      ...extra,
    });
    clients.push(c);
    return c;
  };

  test('requests are spaced by the configured rate, even when issued all at once', async () => {
    const c = client({ rate: { perSecond: 10 }, bulkhead: { concurrency: 8, queue: 100 } });
    // Connect first, so the first measured request does not carry the TCP handshake.
    await c.getJson('/warm-up');
    fake.requests.length = 0;
    await Promise.all(Array.from({ length: 12 }, (_, i) => c.getJson(`/spaced/${i}`)));
    const gaps = fake.gaps();
    assert.equal(gaps.length, 11);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    // 10/s is 100 ms apart. A request delivered late makes the next gap look
    // short, so gaps are checked through windows: no request arrived more than
    // a scheduling jitter ahead of its slot, counted from any earlier one.
    const at = fake.requests.map((r) => r.at);
    for (let i = 0; i < at.length; i++) {
      for (let j = i + 1; j < at.length; j++) {
        assert.ok(
          at[j]! - at[i]! >= (j - i) * 100 - 90,
          `requests ${i}..${j} only ${(at[j]! - at[i]!).toFixed(0)} ms apart`,
        );
      }
    }
    console.log(
      `spacing at 10/s over 12 calls: mean ${mean.toFixed(1)} ms, min ${Math.min(...gaps).toFixed(1)} ms, gaps ${gaps.map((g) => g.toFixed(0)).join(' ')}`,
    );
  });

  test('Retry-After (seconds) is honoured before the retry', async () => {
    fake.faults = { tooMany: { count: 1, retryAfter: '1' } };
    const body = await client().getJson<{ ok: boolean }>('/limited');
    assert.deepEqual(body?.ok, true);
    const [first, second] = fake.requests;
    assert.equal(first?.outcome, 429);
    assert.ok(second!.at - first.at >= 990, `retried after ${(second!.at - first.at).toFixed(0)} ms`);
  });

  test('Retry-After as an HTTP date is parsed, and one longer than allowed defers instead of waiting', async () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    assert.equal(parseRetryAfter(new Date(now + 5000).toUTCString(), now), 5000);
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    fake.faults = { tooMany: { count: 1, retryAfter: new Date(Date.now() + 120_000).toUTCString() } };
    const started = Date.now();
    const error = await client()
      .getJson('/far')
      .catch((e: unknown) => e);
    assert.ok(error instanceof HostUnavailableError);
    assert.equal(error.reason, 'retry-after-too-long');
    assert.ok(error.retryAfterMs > 100_000);
    assert.ok(Date.now() - started < 2000, 'did not wait for the Retry-After');
  });

  test('503 bursts are retried with growing backoff', async () => {
    fake.faults = { status503: 2 };
    const c = client({ retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2000 } });
    assert.deepEqual((await c.getJson<{ ok: boolean }>('/burst'))?.ok, true);
    assert.deepEqual(
      fake.requests.map((r) => r.outcome),
      [503, 503, 200],
    );
    const [g1, g2] = fake.gaps();
    // equal jitter: at least half the nominal delay (200 ms, then 400 ms)
    assert.ok(g1! >= 100, `first backoff ${g1} ms`);
    assert.ok(g2! >= 200, `second backoff ${g2} ms`);
  });

  test('a request that never answers times out and is retried', async () => {
    fake.faults = { hang: 1 };
    const c = client({ timeoutMs: 300 });
    assert.deepEqual((await c.getJson<{ ok: boolean }>('/slow'))?.ok, true);
    assert.deepEqual(
      fake.requests.map((r) => r.outcome),
      ['hang', 200],
    );
  });

  test('malformed JSON is a typed error, not retried', async () => {
    fake.faults = { malformed: 1 };
    await assert.rejects(client().getJson('/bad'), MalformedResponseError);
    assert.equal(fake.requests.length, 1);
  });

  test('the breaker opens after consecutive failures, refuses while open, closes after a good probe', async () => {
    const registry = new Registry();
    const c = client({ registry, retry: { maxAttempts: 1 } });
    fake.faults = { down: true };
    for (let i = 0; i < 3; i++) await assert.rejects(c.getJson(`/down/${i}`), HostUnavailableError);
    assert.equal(c.breakerState(), 'open');
    const seen = fake.requests.length;
    const refused = await c.getJson('/while-open').catch((e: unknown) => e);
    assert.ok(refused instanceof HostUnavailableError);
    assert.equal(refused.reason, 'breaker-open');
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 600);
    assert.equal(fake.requests.length, seen, 'no request reached the host while open');
    const metrics = await registry.getSingleMetricAsString('tonegraph_enrichment_breaker_state');
    assert.match(metrics, /tonegraph_enrichment_breaker_state\{host="fake"\} 1/);

    fake.faults = {};
    await sleep(650);
    assert.deepEqual((await c.getJson<{ ok: boolean }>('/probe'))?.ok, true);
    assert.equal(c.breakerState(), 'closed');
    const failures = await registry.getSingleMetricAsString('tonegraph_enrichment_http_failures_total');
    assert.match(failures, /reason="503"\} 3/);
  });

  test('a failed probe opens the breaker again', async () => {
    const c = client({ retry: { maxAttempts: 1 } });
    fake.faults = { down: true };
    for (let i = 0; i < 3; i++) await assert.rejects(c.getJson(`/d/${i}`));
    await sleep(650);
    await assert.rejects(c.getJson('/probe'), HostUnavailableError);
    assert.equal(c.breakerState(), 'open');
  });

  test('a cached answer avoids the network, 404s included', async () => {
    const registry = new Registry();
    const c = client({ registry, cache: createResponseCache(redis(), prefix) });
    const first = await c.getJson<{ url: string }>('/cached?x=1', { cacheTtlSeconds: 60 });
    const second = await c.getJson<{ url: string }>('/cached?x=1', { cacheTtlSeconds: 60 });
    assert.deepEqual(second, first);
    assert.equal(fake.requests.length, 1);
    assert.equal(await c.getJson('/missing/1', { cacheTtlSeconds: 60 }), undefined);
    assert.equal(await c.getJson('/missing/1', { cacheTtlSeconds: 60 }), undefined);
    assert.equal(fake.requests.length, 2);
    const keys = await redis().keys(`${prefix}http:fake:*`);
    assert.equal(keys.length, 2);
    assert.ok((await redis().ttl(keys[0]!)) > 50);
    const cache = await registry.getSingleMetricAsString('tonegraph_enrichment_http_cache_total');
    assert.match(cache, /result="hit"\} 2/);
  });

  test('calls beyond the bulkhead and its queue are refused at once', async () => {
    fake.faults = { latencyMs: 300 };
    const c = client({ bulkhead: { concurrency: 1, queue: 1 }, rate: { perSecond: 100 } });
    const results = await Promise.allSettled([c.getJson('/a'), c.getJson('/b'), c.getJson('/c')]);
    const rejected = results.filter((r) => r.status === 'rejected');
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]!.reason instanceof HostUnavailableError);
    assert.equal(rejected[0]!.reason.reason, 'bulkhead-full');
  });

  test('a descriptive User-Agent is sent', async () => {
    await client().getJson('/ua');
    assert.equal(fake.requests[0]?.headers['user-agent'], 'Tonegraph/0.1.0 ( test )');
  });
});
