// GET /export/tracks.ndjson: the catalog's track export (one JSON object per
// line, streamed by the catalog subgraph from a database cursor), joined batch
// by batch with each track's analysis from the analysis subgraph. Backpressure
// holds end to end: the gateway reads the catalog only as fast as the client
// takes lines, so an export of a million tracks needs the memory of a few
// batches. See "Track export" in the gateway README for the contract.
import type { Express, Request, Response } from 'express';
import { Client } from 'undici';
import { Counter } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '@tonegraph/logger';
import { type Authenticator, requireScope } from './auth/index.ts';
import type { GatewayMetrics } from './observability/metrics.ts';
import { currentRequest } from './observability/request-context.ts';
import { analysisJoiner, ANALYSIS_UNAVAILABLE } from './export-analysis.ts';
import { idOf, isErrorLine, linesOf, NEWLINE } from './export-lines.ts';
import { subgraphHeaders } from './subgraph-fetch.ts';

export const EXPORT_TRACKS_PATH = '/export/tracks.ndjson';

/** What {@link mountExport} needs from the gateway. */
export interface ExportDeps {
  readonly authenticator: Authenticator;
  readonly metrics: GatewayMetrics;
  /** Subgraph name → URL; filled when the gateway loads the supergraph. */
  readonly subgraphs: ReadonlyMap<string, string>;
  /** The subgraph signature (SUBGRAPH_SECRET). */
  readonly subgraphSecret?: string | undefined;
  /** Time a subgraph has to answer: headers, and each gap in a body the gateway is reading; ms. */
  readonly subgraphTimeoutMs: number;
  readonly log: Logger;
  /** Tracks per analysis fetch, at most; default 500. */
  readonly batchSize?: number;
  /** Bytes of track lines per batch, at most (large rows make smaller batches); default 1 MiB. */
  readonly batchBytes?: number;
  /** Batches whose analysis is fetched at once, while the next lines are read; default 2. */
  readonly prefetch?: number;
  /** A client that takes nothing for this long is disconnected; default 5 minutes. */
  readonly stallTimeoutMs?: number;
}

/** `extensions.code` of export refusals, and of the in-stream notes. */
export const ExportCode = {
  BadInput: 'BAD_USER_INPUT',
  NotReady: 'NOT_READY',
  UpstreamFailed: 'EXPORT_UPSTREAM_FAILED',
  AnalysisUnavailable: ANALYSIS_UNAVAILABLE,
} as const;

const Params = z.strictObject({
  libraryId: z.guid().optional(),
  analysis: z.enum(['true', 'false']).default('true'),
});

const HEADERS = {
  'content-type': 'application/x-ndjson; charset=utf-8',
  'content-disposition': 'attachment; filename="tonegraph-tracks.ndjson"',
  // no-transform: the compression middleware (and proxies) must not buffer the stream.
  'cache-control': 'no-store, no-transform',
  'x-content-type-options': 'nosniff',
};
/** Catalog refusals the client can act on, passed through as they are; anything else is a 502. */
const PASSED_THROUGH = new Set([400, 404, 503]);
const refuse = (res: Response, status: number, code: string, message: string, extra = {}) =>
  void res.status(status).json({ errors: [{ message, extensions: { code, ...extra } }] });

/** Resolves when `res` takes data again or is closed. */
const writable = (res: Response) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

/** Ends a response whose 200 is sent: a last error line, then the connection is cut (no final chunk). */
function endWithError(res: Response, line: Buffer): void {
  const cut = setTimeout(() => res.destroy(), 5000).unref();
  res.write(line, () => {
    clearTimeout(cut);
    res.destroy();
  });
}

/**
 * Mounts GET {@link EXPORT_TRACKS_PATH} (`?libraryId=…&analysis=true|false`),
 * authenticated like queries (the `read` scope).
 */
export function mountExport(app: Express, deps: ExportDeps): void {
  const { log, metrics, subgraphTimeoutMs: timeoutMs } = deps;
  const batchSize = deps.batchSize ?? 500;
  const batchBytes = deps.batchBytes ?? 1024 * 1024;
  const prefetch = Math.max(1, deps.prefetch ?? 2);
  const stallTimeoutMs = deps.stallTimeoutMs ?? 300_000;
  const exports = new Counter({
    name: 'tonegraph_gateway_exports_total',
    help: 'Track exports, by outcome (complete, refused, failed, client_gone)',
    labelNames: ['outcome'],
    registers: [metrics.registry],
  });
  const exportedRows = new Counter({
    name: 'tonegraph_gateway_export_rows_total',
    help: 'Tracks written by exports',
    registers: [metrics.registry],
  });
  const upstreamFailed = (res: Response) =>
    refuse(res, 502, ExportCode.UpstreamFailed, 'The catalog could not start the export', {
      serviceName: 'catalog',
    });

  async function serve(req: Request, res: Response): Promise<void> {
    const params = Params.safeParse(req.query);
    if (!params.success) {
      const issue = params.error.issues[0];
      const where = issue?.path.length ? `"${issue.path.join('.')}": ` : '';
      return refuse(res, 400, ExportCode.BadInput, `Bad export parameters: ${where}${issue?.message}`);
    }
    const { libraryId, analysis } = params.data;
    const catalogUrl = deps.subgraphs.get('catalog');
    if (!catalogUrl) return refuse(res, 503, ExportCode.NotReady, 'The gateway is starting');
    if (req.method === 'HEAD') return void res.writeHead(200, HEADERS).end();

    const reqLog = currentRequest()?.log ?? log;
    // Not the request scope's signal: its deadline is for queries, an export takes as long as it takes.
    const controller = new AbortController();
    const { signal } = controller;
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('the client went away'));
    });
    const catalog = new Client(new URL(catalogUrl).origin, {
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const joiner =
      analysis === 'true'
        ? analysisJoiner(
            deps.subgraphs.get('analysis'),
            { secret: deps.subgraphSecret, timeoutMs, connections: prefetch },
            signal,
            metrics,
            reqLog,
          )
        : undefined;
    let rows = 0;
    const started = performance.now();
    const done = (outcome: string, fields: object = {}) => {
      exports.inc({ outcome });
      exportedRows.inc(rows);
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      const summary = { rows, seconds, libraryId, analysis, analysisMissing: joiner?.missing, ...fields };
      reqLog.info(summary, `track export: ${outcome}`);
    };

    try {
      let upstream;
      try {
        upstream = await catalog.request({
          path: `${EXPORT_TRACKS_PATH}${libraryId ? `?libraryId=${libraryId}` : ''}`,
          method: 'GET',
          headers: subgraphHeaders(deps.subgraphSecret),
          signal,
        });
      } catch (error) {
        if (signal.aborted) return done('client_gone');
        reqLog.error({ err: error }, 'track export: the catalog could not be reached');
        done('failed');
        return upstreamFailed(res);
      }
      if (upstream.statusCode !== 200) {
        const text = await upstream.body.text().catch(() => '');
        if (!PASSED_THROUGH.has(upstream.statusCode)) {
          reqLog.error(
            { status: upstream.statusCode, body: text.slice(0, 500) },
            'track export: catalog refused',
          );
          done('failed', { status: upstream.statusCode });
          return upstreamFailed(res);
        }
        done('refused', { status: upstream.statusCode });
        const retryAfter = upstream.headers['retry-after'];
        if (typeof retryAfter === 'string') res.setHeader('retry-after', retryAfter);
        return void res.status(upstream.statusCode).type('application/json').send(text);
      }

      res.writeHead(200, HEADERS);
      // No progress on the client's socket for this long (it stopped reading): the socket is destroyed.
      res.setTimeout(stallTimeoutMs);
      const write = async (chunk: Buffer) => {
        if (!res.write(chunk)) await writable(res);
      };
      // Batches leave in order. With analysis, up to `prefetch` batches have their fetch running while
      // the next lines are read; past that, reading waits — and so, through TCP, does the catalog.
      const queue: Promise<Buffer>[] = [];
      const depth = joiner ? prefetch : 1;
      let lines: Buffer[] = [];
      let ids: string[] = [];
      let bytes = 0;
      const submit = async () => {
        if (lines.length > 0) {
          const batch = lines;
          queue.push(
            joiner
              ? joiner.join(batch, ids)
              : Promise.resolve(Buffer.concat(batch.flatMap((l) => [l, NEWLINE]))),
          );
          lines = [];
          ids = [];
          bytes = 0;
        }
        while (queue.length >= depth && !signal.aborted) await write(await queue.shift()!);
      };
      const flush = async () => {
        await submit();
        while (queue.length > 0 && !signal.aborted) await write(await queue.shift()!);
      };
      /** The catalog's own final error line, passed on after the lines before it. */
      let catalogError: Buffer | undefined;
      try {
        for await (const received of linesOf(upstream.body)) {
          for (const line of received) {
            const id = idOf(line);
            if (id === undefined) {
              if (isErrorLine(line)) catalogError = line;
              continue;
            }
            rows++;
            lines.push(line);
            ids.push(id);
            bytes += line.length + 1;
            if (lines.length >= batchSize || bytes >= batchBytes) await submit();
          }
          if (signal.aborted) break;
        }
        await flush();
        if (signal.aborted) return done('client_gone');
        if (catalogError) throw new Error('the catalog ended its export with an error line');
        res.end();
        done('complete');
      } catch (error) {
        if (signal.aborted) return done('client_gone');
        // Complete lines go out first; a line the catalog was cut in never does.
        await flush();
        reqLog.error({ err: error }, 'track export: the catalog stream failed');
        done('failed');
        const message = `The catalog stopped after ${rows} tracks; this file is incomplete`;
        const own = { error: { code: ExportCode.UpstreamFailed, message, rows } };
        endWithError(
          res,
          catalogError ? Buffer.concat([catalogError, NEWLINE]) : Buffer.from(`${JSON.stringify(own)}\n`),
        );
      }
    } finally {
      await Promise.allSettled([catalog.destroy(), joiner?.close()]);
    }
  }

  app.get(
    EXPORT_TRACKS_PATH,
    // Authenticated like queries: any principal with the `read` scope.
    requireScope(deps.authenticator, 'read', 'Exports need the "read" scope', (code) => metrics.reject(code)),
    serve,
  );
}
