// One autocannon run with every response time kept: the load both the
// gateway and the scale benchmarks put on a GraphQL endpoint, and its
// latency summary.
import autocannon from 'autocannon';
import { pct } from './percentile.ts';

/** What one run saw. */
export interface TimedLoad {
  /** autocannon's own counters (errors, timeouts, non-2xx). */
  readonly result: autocannon.Result;
  /** Wall-clock seconds from the start to the last answer. */
  readonly seconds: number;
  /** Every response time, ms, ascending. */
  readonly latencies: readonly number[];
  /** Answers with status 503 (shed by admission control). */
  readonly shed: number;
  /** 200 answers whose body holds GraphQL `errors`. */
  readonly graphqlErrors: number;
  /** The first of those bodies, cut to 300 characters. */
  readonly firstError?: string;
}

/**
 * Runs autocannon with `options`. Each request counts a 200 answer with
 * GraphQL `errors` (its own `onResponse`, if any, is replaced) unless
 * `graphql` is false: bodies that are not GraphQL (audio) are not read as text.
 */
export async function timedLoad(
  options: autocannon.Options & {
    readonly requests: readonly autocannon.Request[];
    readonly graphql?: boolean;
  },
): Promise<TimedLoad> {
  const { graphql = true, ...autocannonOptions } = options;
  let graphqlErrors = 0;
  let firstError: string | undefined;
  let shed = 0;
  const latencies: number[] = [];
  const started = performance.now();
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        ...autocannonOptions,
        requests: options.requests.map((request) =>
          !graphql
            ? request
            : {
                ...request,
                onResponse: (status: number, body: string) => {
                  if (status === 200 && body.includes('"errors"')) {
                    graphqlErrors++;
                    firstError ??= body.slice(0, 300);
                  }
                },
              },
        ),
      },
      (error: unknown, result) =>
        error ? reject(new Error('autocannon failed', { cause: error })) : resolve(result),
    );
  });
  instance!.on('response', (_client, status, _bytes, responseTime) => {
    latencies.push(responseTime);
    if (status === 503) shed++;
  });
  const result = await finished;
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { result, seconds, latencies, shed, graphqlErrors, ...(firstError ? { firstError } : {}) };
}

/** Requests, throughput and percentiles of a run. */
export const latencySummary = ({ latencies, seconds }: Pick<TimedLoad, 'latencies' | 'seconds'>) => ({
  requests: latencies.length,
  rps: latencies.length / seconds,
  p50: pct(latencies, 50),
  p95: pct(latencies, 95),
  p99: pct(latencies, 99),
  max: latencies.at(-1) ?? NaN,
});

/** Transport errors, non-2xx answers and answers with GraphQL `errors`. */
export const errorCount = (load: TimedLoad) => load.result.errors + load.result.non2xx + load.graphqlErrors;
