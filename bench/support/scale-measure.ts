// Timing GraphQL requests for the scale benchmark: a series of sequential
// requests (each with its own arguments) with a cap per request, and a fixed
// duration of concurrent requests that never repeat a body.
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds } from './procs.ts';
import { pct } from './percentile.ts';
import { errorCount, latencySummary, timedLoad } from './timed-load.ts';

/** p50/p95 of a series, or how it ended early. */
export interface Series {
  readonly requests: number;
  readonly p50: number;
  readonly p95: number;
  /** Set when a request took longer than the cap: the series stopped there. */
  readonly timedOutAfterMs?: number;
  readonly errors: number;
  readonly firstError?: string;
}

/** One GraphQL request body: the i-th of a kind, with arguments of its own. */
export type BodyOf = (i: number) => { query: string; variables?: Record<string, unknown> };

/**
 * `count` requests one after another (after `warmup` untimed ones), each
 * from `bodyOf(i)`. A request slower than `capMs` is aborted and ends the
 * series: at that size every further one would be as slow.
 */
export async function series(
  url: string,
  headers: Record<string, string>,
  bodyOf: BodyOf,
  { count, warmup, capMs }: { count: number; warmup: number; capMs: number },
): Promise<Series> {
  const times: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < warmup + count; i++) {
    const started = performance.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(bodyOf(i)),
        signal: AbortSignal.timeout(capMs),
      });
      const text = await res.text();
      if (!res.ok || text.includes('"errors"')) {
        errors++;
        firstError ??= `${res.status} ${text.slice(0, 300)}`;
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        return {
          requests: times.length,
          p50: NaN,
          p95: NaN,
          timedOutAfterMs: capMs,
          errors,
          ...(firstError ? { firstError } : {}),
        };
      }
      errors++;
      firstError ??= String(error);
    }
    if (i >= warmup) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    p50: pct(times, 50),
    p95: pct(times, 95),
    errors,
    ...(firstError ? { firstError } : {}),
  };
}

export interface Load {
  readonly connections: number;
  readonly seconds: number;
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p95: number;
  /** Transport errors, timeouts, non-2xx and answers with GraphQL `errors`. */
  readonly errors: number;
  readonly firstError?: string;
  /** CPU ms the machine spent per answered request, by process (gateway, catalog, ferretdb …). */
  readonly cpuMsPerPage?: Readonly<Record<string, number>>;
}

/**
 * `connections` clients for `seconds`, each request's body the next of
 * `bodyOf` over every connection, so no two requests are the same.
 */
export async function load(
  url: string,
  headers: Record<string, string>,
  bodyOf: BodyOf,
  { connections, seconds, capMs }: { connections: number; seconds: number; capMs: number },
): Promise<Load> {
  let n = 0;
  const run = await timedLoad({
    url,
    connections,
    duration: seconds,
    timeout: Math.ceil(capMs / 1000),
    requests: [
      { method: 'POST', headers, setupRequest: (req) => ({ ...req, body: JSON.stringify(bodyOf(n++)) }) },
    ],
  });
  const { requests, rps, p50, p95 } = latencySummary(run);
  return {
    connections,
    seconds: run.seconds,
    requests,
    rps,
    p50,
    p95,
    errors: errorCount(run),
    ...(run.firstError ? { firstError: run.firstError } : {}),
  };
}

/**
 * Waits (at most `maxSeconds`) until the given processes are idle: a request
 * a client gave up on may still be running in the store, and must not run
 * into the next measurement.
 */
export async function settle(pids: readonly (number | undefined)[], maxSeconds = 20): Promise<void> {
  const known = pids.filter((p): p is number => p !== undefined);
  const cpu = () => Promise.all(known.map((p) => cpuSeconds(p).catch(() => 0)));
  for (let i = 0; i < maxSeconds; i++) {
    const before = await cpu();
    await sleep(1000);
    const after = await cpu();
    if (after.every((c, k) => c - before[k]! < 0.1)) return;
  }
}
