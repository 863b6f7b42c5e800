// Part two of the stream benchmark: random 256 KiB Range requests into the
// originals over N connections (autocannon), through the gateway's /stream
// or from serve-static on a bare node:http server (the baseline).
import type autocannon from 'autocannon';
import { latencySummary, timedLoad } from './timed-load.ts';

/** One original, as each server names it. */
export interface RangeFile {
  /** Path and query on the server: `/stream/<id>?format=raw&expires=…&sig=…` or `/Album%20One/….flac`. */
  readonly path: string;
  readonly size: number;
}

export const RANGE_BYTES = 256 * 1024;

/** The table row of one run. */
export interface RangeResult {
  readonly target: string;
  readonly connections: number;
  readonly requests: number;
  readonly rps: number;
  readonly mbPerSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Answers that were not 206, and transport errors. */
  readonly errors: number;
}

/** A random whole range of {@link RANGE_BYTES} inside a file of `size` bytes. */
function randomRange(size: number, random: () => number): string {
  const start = Math.floor(random() * Math.max(1, size - RANGE_BYTES));
  return `bytes=${start}-${Math.min(size, start + RANGE_BYTES) - 1}`;
}

/** Runs `connections` connections for `seconds` against `origin`, each request a random file and range. */
export async function rangeLoad(
  target: string,
  origin: string,
  files: readonly RangeFile[],
  options: { readonly connections: number; readonly seconds: number; readonly random: () => number },
): Promise<RangeResult> {
  const request: autocannon.Request = {
    method: 'GET',
    setupRequest: (req) => {
      const file = files[Math.floor(options.random() * files.length)]!;
      return { ...req, path: file.path, headers: { range: randomRange(file.size, options.random) } };
    },
  };
  const load = await timedLoad({
    url: origin,
    connections: options.connections,
    duration: options.seconds,
    requests: [request],
    graphql: false,
  });
  const summary = latencySummary(load);
  // autocannon counts 2xx as success: a 200 (the whole file) would be a range ignored.
  const partial = load.result.statusCodeStats?.['206']?.count ?? 0;
  return {
    target,
    connections: options.connections,
    requests: summary.requests,
    rps: summary.rps,
    mbPerSecond: load.result.throughput.total / load.seconds / 1e6,
    p50: summary.p50,
    p95: summary.p95,
    p99: summary.p99,
    errors: load.result.errors + load.result.timeouts + (summary.requests - partial),
  };
}
