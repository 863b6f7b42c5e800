// The analysis side of the track export: each batch of catalog lines joined
// with its tracks' analyses from one `_entities` fetch to the analysis subgraph.
import { Pool } from 'undici';
import type { Logger } from '@tonegraph/logger';
import type { GatewayMetrics } from './observability/metrics.ts';
import { NEWLINE } from './export-lines.ts';
import { subgraphHeaders } from './subgraph-fetch.ts';

/** `extensions.code` of the note on a line whose analysis could not be fetched. */
export const ANALYSIS_UNAVAILABLE = 'ANALYSIS_UNAVAILABLE';

const ANALYSIS_QUERY = `query ExportAnalysis($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Track { analysis {
    status error tempo { bpm confidence } key { tonic mode name camelot openKey confidence }
    loudness { integratedLufs loudnessRangeLu truePeakDbtp samplePeakDbfs } replayGain { trackGainDb trackPeak }
    durationSeconds analyzedAt analyzerVersion } } } }`;
/** What ends a line whose track has no analysis (none stored). */
const NO_ANALYSIS_SUFFIX = Buffer.from(',"analysis":null}');
/** What ends a line whose analysis could not be fetched. */
const UNAVAILABLE_SUFFIX = Buffer.from(
  `,"analysis":null,"analysisError":${JSON.stringify({
    code: ANALYSIS_UNAVAILABLE,
    message: "The analysis subgraph did not answer; this track's analysis is unknown",
  })}}`,
);

/** The connection closed before an answer came (e.g. a keep-alive connection the subgraph closed). */
const LOST = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** A subgraph fetch failure as the fetch metric labels it. */
function reasonOf(error: unknown): string {
  const { name, code } = error as { name?: string; code?: string };
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return 'timeout';
  }
  return error instanceof HttpStatusError ? `http_${error.status}` : 'network';
}

class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`analysis answered HTTP ${status}: ${body.slice(0, 200)}`);
    this.status = status;
  }
}

/** One batch's analyses: `_entities` of the analysis subgraph, one entry per id (null: not resolved). */
type Analyses = readonly ({ analysis?: unknown } | null)[];

/**
 * The analysis side of one export: one `_entities` fetch per batch over a
 * small pool of its own, and a breaker — after a failed fetch the next
 * batches do without analysis for 1 s, then 2, 4 … 30 s, so a subgraph that
 * is down (or hangs) costs one fetch per pause, not one timeout per batch.
 */
export function analysisJoiner(
  url: string | undefined,
  options: { secret: string | undefined; timeoutMs: number; connections: number },
  signal: AbortSignal,
  metrics: GatewayMetrics,
  log: Logger,
) {
  const target = url ? new URL(url) : undefined;
  const pool = target
    ? new Pool(target.origin, {
        connections: options.connections,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      })
    : undefined;
  let failures = 0;
  let skipUntil = 0;
  let missing = 0;

  /** One `_entities` POST; a keep-alive connection closed under it before any answer is tried once more. */
  async function post(
    to: Pool,
    path: string,
    payload: string,
  ): Promise<{ statusCode: number; text: string }> {
    for (let resent = false; ; resent = true) {
      try {
        const { statusCode, body } = await to.request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...subgraphHeaders(options.secret) },
          body: payload,
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        });
        return { statusCode, text: await body.text() };
      } catch (error) {
        if (resent || signal.aborted || !LOST.has((error as { code?: string }).code ?? '')) throw error;
      }
    }
  }

  async function fetchAnalyses(ids: readonly string[]): Promise<Analyses | undefined> {
    if (!pool || !target || performance.now() < skipUntil) return undefined;
    const started = performance.now();
    try {
      const { statusCode, text } = await post(
        pool,
        `${target.pathname}${target.search}`,
        JSON.stringify({
          query: ANALYSIS_QUERY,
          variables: { representations: ids.map((id) => ({ __typename: 'Track', id })) },
        }),
      );
      if (statusCode !== 200) throw new HttpStatusError(statusCode, text);
      const answer = JSON.parse(text) as {
        data?: { _entities?: Analyses | null } | null;
        errors?: { message?: string }[];
      };
      const entities: unknown = answer.data?._entities;
      if (!Array.isArray(entities) || entities.length !== ids.length) {
        throw new Error(`analysis answered no entities: ${answer.errors?.[0]?.message ?? 'no data'}`);
      }
      metrics.observeFetch('analysis', (performance.now() - started) / 1000);
      failures = 0;
      return entities as Analyses;
    } catch (error) {
      if (signal.aborted) return undefined;
      metrics.observeFetch('analysis', (performance.now() - started) / 1000, reasonOf(error));
      failures++;
      skipUntil = performance.now() + Math.min(1000 * 2 ** (failures - 1), 30_000);
      log.warn(
        { err: error, failures },
        'track export: analysis fetch failed; its lines carry analysisError',
      );
      return undefined;
    }
  }

  return {
    /** Tracks written with `analysisError` so far. */
    get missing() {
      return missing;
    },
    /** The batch's lines, each with `"analysis"` appended (and `"analysisError"` when it is unknown). */
    async join(lines: readonly Buffer[], ids: readonly string[]): Promise<Buffer> {
      const analyses = await fetchAnalyses(ids);
      const parts: Buffer[] = [];
      lines.forEach((line, i) => {
        const entity = analyses?.[i];
        parts.push(line.subarray(0, line.length - 1)); // all but the closing brace
        if (!entity) {
          missing++;
          parts.push(UNAVAILABLE_SUFFIX);
        } else if (entity.analysis == null) parts.push(NO_ANALYSIS_SUFFIX);
        else parts.push(Buffer.from(`,"analysis":${JSON.stringify(entity.analysis)}}`));
        parts.push(NEWLINE);
      });
      return Buffer.concat(parts);
    },
    close: () => pool?.destroy(),
  };
}
