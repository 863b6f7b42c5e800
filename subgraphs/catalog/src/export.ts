// GET /export/tracks.ndjson: the catalog's tracks, one JSON object per line,
// read through a PostgreSQL server-side cursor and written with backpressure,
// so that the memory an export needs does not grow with the catalog. The
// gateway serves it to clients (joined with the analysis subgraph); this
// route, like /graphql, accepts only requests signed by the gateway.
import type { Express, Response } from 'express';
import type postgres from 'postgres';
import { z } from 'zod';
import type { Logger } from '@tonegraph/logger';

export const EXPORT_TRACKS_PATH = '/export/tracks.ndjson';

/** Options for {@link mountExport}. */
export interface ExportOptions {
  readonly sql: postgres.Sql;
  readonly log: Logger;
  /** Rows fetched from the cursor at a time, and written to the client as one chunk; default 500. */
  readonly batchRows?: number;
  /**
   * Exports streaming at once; another gets 503 EXPORT_BUSY. Each holds a
   * database connection for as long as its client reads, so this keeps the
   * pool for GraphQL. Default 4.
   */
  readonly maxConcurrent?: number;
  /** A client that takes nothing for this long has its export ended (socket closed); default 5 minutes. */
  readonly stallTimeoutMs?: number;
}

/** `extensions.code` of the errors this route answers with, and of the in-stream error line. */
export const ExportCode = {
  BadInput: 'BAD_USER_INPUT',
  NotFound: 'NOT_FOUND',
  Busy: 'EXPORT_BUSY',
  Failed: 'EXPORT_FAILED',
} as const;

const Params = z.strictObject({ libraryId: z.guid().optional() });

const HEADERS = {
  'content-type': 'application/x-ndjson; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};
const NEWLINE = Buffer.from('\n');
/** How long the final error line may take to reach the client before the connection is cut anyway. */
const ERROR_LINE_GRACE_MS = 5000;

/** A refusal before anything was streamed, in the body shape of every other Tonegraph error. */
function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** Resolves when `res` takes data again ('drain') or is closed, whichever comes first. */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Ends a response whose status is already sent: the last line says why,
 * then the connection is cut, so that the body is visibly incomplete (no
 * final chunk) even to a client that does not read the lines.
 */
export function endWithErrorLine(res: Response, error: Record<string, unknown>): void {
  const cut = setTimeout(() => res.destroy(), ERROR_LINE_GRACE_MS);
  cut.unref();
  res.write(`${JSON.stringify({ error })}\n`, () => {
    clearTimeout(cut);
    res.destroy();
  });
}

/**
 * One line per track, ordered by id. PostgreSQL builds each line (compact
 * JSON: row_to_json and array_to_json, never json_agg, which puts newlines
 * between elements), and `id` comes first: the gateway relies on both.
 * Timestamps are formatted as the GraphQL DateTime scalar does (UTC, ms).
 * `last` marks the final track (the highest id, in the query's own snapshot).
 */
function tracksQuery(sql: postgres.Sql, libraryId: string | undefined) {
  const filter = (alias: postgres.Fragment) =>
    libraryId ? sql`where ${alias}.library_id = ${libraryId}` : sql``;
  return sql`
    select row_to_json(r)::text as line, -- tonegraph:export
      t.id = (select l.id from tracks l ${filter(sql`l`)} order by l.id desc limit 1) as last
    from tracks t
    left join albums al on al.id = t.album_id
    left join artists aa on aa.id = t.album_artist_id
    cross join lateral (
      select
        t.id,
        t.title,
        coalesce(
          (select array_to_json(array_agg((select c from (select a.id, a.name, ta.role) c) order by ta.position))
             from track_artists ta join artists a on a.id = ta.artist_id
            where ta.track_id = t.id),
          '[]') as artists,
        (select row_to_json(x) from (select al.id, al.title) x where al.id is not null) as album,
        (select row_to_json(x) from (select aa.id, aa.name) x where aa.id is not null) as "albumArtist",
        t.year,
        t.genres,
        t.duration,
        t.disc_number as "discNumber",
        t.track_number as "trackNumber",
        t.isrc,
        t.musicbrainz_recording_id as "musicbrainzRecordingId",
        t.musicbrainz_track_id as "musicbrainzTrackId",
        (select row_to_json(x) from (select
            upper(t.enrichment_status) as status,
            t.enrichment_score as score,
            t.musicbrainz_title as title,
            t.musicbrainz_artist_credit as "artistCredit",
            coalesce(t.musicbrainz_artist_ids, '{}') as "artistIds",
            to_char(t.enriched_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "enrichedAt"
          ) x where t.enrichment_status is not null) as enrichment,
        (select row_to_json(x) from (select
            t.file_path as path,
            t.file_size as size,
            t.format,
            t.codec,
            t.container,
            t.bitrate,
            t.sample_rate as "sampleRate",
            t.channels,
            t.bits_per_sample as "bitsPerSample",
            t.lossless,
            t.content_hash as "contentHash",
            to_char(t.file_mtime at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as mtime
          ) x) as file,
        t.library_id as "libraryId",
        to_char(t.added_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "addedAt",
        to_char(t.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt"
    ) r
    ${filter(sql`t`)}
    order by t.id`;
}

/**
 * Mounts GET {@link EXPORT_TRACKS_PATH} (`?libraryId=` optional). Mount it
 * after the subgraph signature middleware. See the catalog README for the
 * line format and the error contract.
 */
export function mountExport(app: Express, options: ExportOptions): void {
  const { sql, log } = options;
  const batchRows = options.batchRows ?? 500;
  const maxConcurrent = options.maxConcurrent ?? 4;
  const stallTimeoutMs = options.stallTimeoutMs ?? 300_000;
  let running = 0;

  async function stream(res: Response, libraryId: string | undefined): Promise<void> {
    let closed = false;
    res.once('close', () => (closed = true));
    // No progress on the socket for this long (a client that stopped reading): it is destroyed.
    res.setTimeout(stallTimeoutMs);
    let rows = 0;
    let sawLast = false;
    const started = performance.now();
    try {
      // Breaking out of the loop closes the portal (postgres.js sends Close) and frees the connection.
      for await (const batch of tracksQuery(sql, libraryId).raw().cursor(batchRows)) {
        if (closed) break;
        if (!res.headersSent) res.writeHead(200, HEADERS);
        const parts: Buffer[] = [];
        for (const [line, last] of batch) {
          if (line) parts.push(line, NEWLINE);
          if (last?.toString() === 't') sawLast = true;
        }
        rows += batch.length;
        // The next rows are fetched only once the client has taken these.
        if (!res.write(Buffer.concat(parts))) await writable(res);
        if (closed) break;
      }
      // postgres.js ends a cursor's iteration without an error when its
      // connection dies while the loop waits for the client between two
      // batches: only the last track proves the export complete.
      if (!closed && rows > 0 && !sawLast)
        throw new Error('the database connection ended before the last track was read');
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      if (closed) {
        log.info({ rows, seconds, libraryId }, 'track export: the client went away');
        return;
      }
      if (!res.headersSent) res.writeHead(200, HEADERS);
      res.end();
      log.info({ rows, seconds, libraryId }, 'track export done');
    } catch (error) {
      if (closed) return;
      log.error({ err: error, rows, libraryId }, 'track export failed');
      if (!res.headersSent) {
        refuse(res, 500, ExportCode.Failed, 'The export could not be read from the database');
        return;
      }
      endWithErrorLine(res, {
        code: ExportCode.Failed,
        message: `The export failed after ${rows} tracks; this file is incomplete`,
        rows,
      });
    }
  }

  app.get(EXPORT_TRACKS_PATH, async (req, res) => {
    const params = Params.safeParse(req.query);
    if (!params.success) {
      const issue = params.error.issues[0];
      const where = issue?.path.length ? `"${issue.path.join('.')}": ` : '';
      refuse(res, 400, ExportCode.BadInput, `Bad export parameters: ${where}${issue?.message ?? 'invalid'}`);
      return;
    }
    const { libraryId } = params.data;
    if (req.method === 'HEAD') {
      res.writeHead(200, HEADERS).end();
      return;
    }
    if (running >= maxConcurrent) {
      res.setHeader('retry-after', '10');
      refuse(res, 503, ExportCode.Busy, `${maxConcurrent} exports are running; try again later`);
      return;
    }
    running++;
    try {
      if (libraryId) {
        const [library] = await sql<{ id: string }[]>`select id from libraries where id = ${libraryId}`;
        if (!library) {
          refuse(res, 404, ExportCode.NotFound, `No library has id ${libraryId}`);
          return;
        }
      }
      await stream(res, libraryId);
    } catch (error) {
      log.error({ err: error, libraryId }, 'track export could not start');
      if (!res.headersSent) refuse(res, 500, ExportCode.Failed, 'The export could not start');
    } finally {
      running--;
    }
  });
}
