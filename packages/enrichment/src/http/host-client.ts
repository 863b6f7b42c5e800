import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  bulkhead,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import type { Registry } from 'prom-client';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import {
  HostUnavailableError,
  HttpStatusError,
  MalformedResponseError,
  TransientHttpError,
} from '../errors.ts';
import type { ResponseCache } from './cache.ts';
import { httpMetrics } from './metrics.ts';
import { createRateLimiter, type RateLimiter, type RateLimitOptions } from './rate-limiter.ts';
import { backoffDelay, parseRetryAfter } from './retry-after.ts';

/** Retry policy for transient failures (429, 5xx, timeouts, connection errors). */
export interface RetryOptions {
  /** Attempts per call, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** Delay before the first retry; doubles each time, with jitter. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** Longest backoff delay. Default 10 000 ms. */
  readonly maxDelayMs?: number;
  /**
   * Longest `Retry-After` waited for in place; a longer one ends the call with
   * a HostUnavailableError so the caller defers instead of blocking. Default 30 000 ms.
   */
  readonly maxRetryAfterMs?: number;
}

/** Options of {@link createHostClient}. */
export interface HostClientOptions {
  /** Label in metrics, errors and cache keys (e.g. `musicbrainz`). */
  readonly name: string;
  /** Origin plus optional path prefix, e.g. `https://musicbrainz.org`. */
  readonly baseUrl: string;
  readonly userAgent: string;
  readonly rate: RateLimitOptions;
  /** A limiter to use instead of an in-process one built from `rate` (e.g. one shared through Redis). */
  readonly limiter?: RateLimiter;
  /** Time allowed for one attempt, headers and body. Default 10 000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Consecutive failed attempts that open the breaker (default 5), and how long it stays open (default 30 000 ms). */
  readonly breaker?: { readonly consecutiveFailures?: number; readonly halfOpenAfterMs?: number };
  /** Calls in flight at once (default 4) and calls waiting for a place (default 16: at 1 request/s a longer queue only holds work that is better deferred); more are refused. */
  readonly bulkhead?: { readonly concurrency?: number; readonly queue?: number };
  /** Keep-alive connections per origin. Default 4. */
  readonly connections?: number;
  /** Follow redirects (to another origin too), e.g. for images. Default false. */
  readonly followRedirects?: boolean;
  readonly cache?: ResponseCache;
  /** Where per-host metrics are registered; none when omitted. */
  readonly registry?: Registry;
}

/** Per-call options. */
export interface CallOptions {
  /** Cache 200 and 404 answers this long; 0 or omitted: no cache. */
  readonly cacheTtlSeconds?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An answer whose body the caller consumes inside the attempt, so retries can re-read it. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData['body'];
}

export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';
const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};
const STATE_VALUES: Record<BreakerStateName, number> = { closed: 0, open: 1, 'half-open': 2, isolated: 3 };

/** One external host behind a pool, a rate limiter, retries, a breaker, a bulkhead and a cache. */
export interface HostClient {
  readonly name: string;
  /** GET JSON; undefined on 404. */
  getJson<T>(path: string, options?: CallOptions): Promise<T | undefined>;
  /** POST a form, JSON answer; undefined on 404. */
  postFormJson<T>(path: string, form: URLSearchParams, options?: CallOptions): Promise<T | undefined>;
  /** GET and hand the body to `consume` within the attempt's timeout; undefined on 404. */
  stream<R>(path: string, consume: (response: RawResponse) => Promise<R>): Promise<R | undefined>;
  breakerState(): BreakerStateName;
  /** How long until the breaker lets a probe through (0 when closed). */
  breakerRetryAfterMs(): number;
  /** Closes the connection pools. Idempotent. */
  close(): Promise<void>;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function asTransient(host: string, error: unknown): TransientHttpError | undefined {
  if (error instanceof TransientHttpError) return error;
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError')
    return new TransientHttpError(host, 'timeout', undefined, undefined, { cause: error });
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) {
    return new TransientHttpError(host, `network error ${code}`, undefined, undefined, { cause: error });
  }
  return undefined;
}

export function createHostClient(options: HostClientOptions): HostClient {
  const { name, userAgent, cache } = options;
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.retry?.maxAttempts ?? 4;
  const baseDelayMs = options.retry?.baseDelayMs ?? 500;
  const maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
  const maxRetryAfterMs = options.retry?.maxRetryAfterMs ?? 30_000;
  const halfOpenAfterMs = options.breaker?.halfOpenAfterMs ?? 30_000;
  const limiter = options.limiter ?? createRateLimiter(options.rate);
  const metrics = options.registry ? httpMetrics(options.registry) : undefined;

  const agent = new Agent({ connections: options.connections ?? 4, keepAliveTimeout: 30_000, pipelining: 1 });
  const dispatcher: Dispatcher = options.followRedirects
    ? agent.compose(interceptors.redirect({ maxRedirections: 5 }))
    : agent;

  const breaker = circuitBreaker(
    handleWhen((e) => e instanceof TransientHttpError || e instanceof MalformedResponseError),
    {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breaker?.consecutiveFailures ?? 5),
    },
  );
  let openedAt = 0;
  breaker.onBreak(() => (openedAt = Date.now()));
  breaker.onStateChange((state) =>
    metrics?.breakerState.set({ host: name }, STATE_VALUES[STATE_NAMES[state]]),
  );
  metrics?.breakerState.set({ host: name }, 0);
  const bulk = bulkhead(options.bulkhead?.concurrency ?? 4, options.bulkhead?.queue ?? 16);
  const breakerRetryAfterMs = () =>
    breaker.state === CircuitState.Closed ? 0 : Math.max(0, openedAt + halfOpenAfterMs - Date.now());

  /** One attempt: a rate slot, then the request with a timeout; statuses classified. */
  async function attempt<R>(
    url: string,
    init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
    consume: (response: RawResponse) => Promise<R>,
  ): Promise<R | undefined> {
    await limiter.acquire();
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, { ...init, dispatcher, signal });
      if (res.statusCode === 404) {
        await res.body.dump();
        return undefined;
      }
      if (res.statusCode === 429 || res.statusCode >= 500) {
        await res.body.dump().catch(() => {});
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        throw new TransientHttpError(name, `HTTP ${res.statusCode}`, res.statusCode, retryAfterMs);
      }
      if (res.statusCode >= 300) {
        await res.body.dump().catch(() => {});
        throw new HttpStatusError(name, res.statusCode, url);
      }
      return await consume({ status: res.statusCode, headers: res.headers, body: res.body });
    } catch (error) {
      const transient = asTransient(name, error);
      if (transient) {
        metrics?.failures.inc({
          host: name,
          reason: transient.status ? String(transient.status) : 'timeout_or_network',
        });
        throw transient;
      }
      metrics?.failures.inc({
        host: name,
        reason:
          error instanceof MalformedResponseError
            ? 'malformed'
            : error instanceof HttpStatusError
              ? String(error.status)
              : 'other',
      });
      throw error;
    }
  }

  /** Retries around breaker and bulkhead: a retry re-enters both, so an opened breaker stops it. */
  async function execute<R>(run: () => Promise<R>): Promise<R> {
    for (let n = 1; ; n++) {
      try {
        return await bulk.execute(() => breaker.execute(run));
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw new HostUnavailableError(name, 'breaker-open', breakerRetryAfterMs(), { cause: error });
        }
        if (error instanceof BulkheadRejectedError) {
          throw new HostUnavailableError(name, 'bulkhead-full', Math.max(1000, limiter.delayMs()), {
            cause: error,
          });
        }
        if (!(error instanceof TransientHttpError)) throw error;
        let delay = backoffDelay(n, baseDelayMs, maxDelayMs);
        if (error.retryAfterMs !== undefined) {
          // Everyone waits, not just this call: the server asked the client to slow down.
          limiter.pauseUntil(Date.now() + error.retryAfterMs);
          if (error.retryAfterMs > maxRetryAfterMs) {
            throw new HostUnavailableError(name, 'retry-after-too-long', error.retryAfterMs, {
              cause: error,
            });
          }
          delay = Math.max(delay, error.retryAfterMs);
        }
        if (n >= maxAttempts) {
          throw new HostUnavailableError(name, 'retries-exhausted', Math.max(delay, breakerRetryAfterMs()), {
            cause: error,
          });
        }
        metrics?.retries.inc({ host: name });
        await sleep(delay);
      }
    }
  }

  /** A JSON call through the cache. */
  async function json<T>(
    url: string,
    init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
    cacheTtlSeconds: number,
  ): Promise<T | undefined> {
    const cacheKey = `${init.method} ${url} ${init.body ?? ''}`;
    const useCache = cache !== undefined && cacheTtlSeconds > 0;
    if (useCache) {
      const hit = await cache.get(name, cacheKey);
      metrics?.cache.inc({ host: name, result: hit ? 'hit' : 'miss' });
      if (hit) {
        metrics?.calls.inc({ host: name, outcome: 'cached' });
        return hit.status === 404 ? undefined : parse<T>(hit.body, url);
      }
    }
    try {
      const result = await execute(() =>
        attempt(url, init, async (res) => {
          const text = await res.body.text();
          return { text, value: parse<T>(text, url) };
        }),
      );
      metrics?.calls.inc({ host: name, outcome: result ? 'ok' : 'not_found' });
      if (useCache) {
        await cache.set(
          name,
          cacheKey,
          result ? { status: 200, body: result.text } : { status: 404, body: '' },
          cacheTtlSeconds,
        );
      }
      return result?.value;
    } catch (error) {
      metrics?.calls.inc({
        host: name,
        outcome: error instanceof HostUnavailableError ? 'deferred' : 'failed',
      });
      throw error;
    }
  }

  function parse<T>(text: string, url: string): T {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new MalformedResponseError(name, url, { cause: error });
    }
  }

  const headers = (extra?: Readonly<Record<string, string>>) => ({
    'user-agent': userAgent,
    accept: 'application/json',
    ...extra,
  });

  let closing: Promise<void> | undefined;
  return {
    name,
    getJson: (path, opts) =>
      json(base + path, { method: 'GET', headers: headers(opts?.headers) }, opts?.cacheTtlSeconds ?? 0),
    postFormJson: (path, form, opts) =>
      json(
        base + path,
        {
          method: 'POST',
          headers: headers({ 'content-type': 'application/x-www-form-urlencoded', ...opts?.headers }),
          body: form.toString(),
        },
        opts?.cacheTtlSeconds ?? 0,
      ),
    async stream(path, consume) {
      try {
        const result = await execute(() =>
          attempt(base + path, { method: 'GET', headers: headers({ accept: '*/*' }) }, consume),
        );
        metrics?.calls.inc({ host: name, outcome: result === undefined ? 'not_found' : 'ok' });
        return result;
      } catch (error) {
        metrics?.calls.inc({
          host: name,
          outcome: error instanceof HostUnavailableError ? 'deferred' : 'failed',
        });
        throw error;
      }
    },
    breakerState: () => STATE_NAMES[breaker.state],
    breakerRetryAfterMs,
    close() {
      closing ??= agent.close();
      return closing;
    },
  };
}
