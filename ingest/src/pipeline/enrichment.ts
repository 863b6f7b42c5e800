import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from '@tonegraph/catalog/db';
import type { EnrichmentCandidate } from '@tonegraph/catalog/schema';
import type { EnrichInput, EnrichResult } from '@tonegraph/enrichment';
import type { Logger } from '@tonegraph/logger';
import { DeferJobError, type EnrichmentJob } from '@tonegraph/queues';

/** What the stage needs of `@tonegraph/enrichment`'s enricher (a fake in unit tests). */
export interface TrackEnricher {
  enrichTrack(input: EnrichInput): Promise<EnrichResult>;
}

export interface EnrichmentDeps {
  readonly db: Db;
  readonly enricher: TrackEnricher;
  readonly log: Logger;
  /** Called with each outcome, for metrics. */
  readonly onResult?: (status: EnrichResult['status']) => void;
}

export interface EnrichmentHandler {
  handle: (job: EnrichmentJob) => Promise<void>;
  gaveUp: (job: EnrichmentJob, reason: string) => Promise<void>;
}

interface TrackRow extends Record<string, unknown> {
  id: string;
  title: string;
  file_path: string;
  duration: number | null;
  isrc: string | null;
  musicbrainz_recording_id: string | null;
  album_id: string | null;
  album_title: string | null;
  album_release_id: string | null;
  album_track_count: number | null;
  album_artist: string | null;
  artists: { name: string; role: string }[] | null;
}

const MAX_CANDIDATES = 5;
/** A deferral is never sooner than this, nor later than the longest. */
const MIN_DEFER_MS = 1000;
const MAX_DEFER_MS = 10 * 60_000;

/** The credit as tagged: main artists, then ` feat. ` and the featured ones (MusicBrainz's join phrases). */
function artistCredit(artists: readonly { name: string; role: string }[]): string | undefined {
  const main = artists.filter((a) => a.role === 'MAIN').map((a) => a.name);
  const featured = artists.filter((a) => a.role === 'FEATURED').map((a) => a.name);
  if (main.length === 0) return undefined;
  return featured.length > 0 ? `${main.join(' & ')} feat. ${featured.join(' & ')}` : main.join(' & ');
}

/** The enricher's input, from the track as the catalog holds it. */
function inputOf(row: TrackRow): EnrichInput {
  const artist = artistCredit(row.artists ?? []) ?? row.album_artist;
  const recording = row.musicbrainz_recording_id ?? undefined;
  const release = row.album_release_id ?? undefined;
  return {
    title: row.title,
    ...(artist ? { artist } : {}),
    ...(row.album_title ? { album: row.album_title } : {}),
    ...(row.duration ? { durationMs: Math.round(row.duration * 1000) } : {}),
    ...(row.album_track_count ? { trackCount: row.album_track_count } : {}),
    ...(row.isrc ? { isrcs: [row.isrc] } : {}),
    ...(recording || release
      ? { mbids: { ...(recording ? { recording } : {}), ...(release ? { release } : {}) } }
      : {}),
    path: row.file_path,
  };
}

const candidatesOf = (result: EnrichResult): EnrichmentCandidate[] =>
  (result.candidates ?? []).slice(0, MAX_CANDIDATES).map((c) => ({
    recordingId: c.recording.id,
    title: c.recording.title,
    artist: c.recording.artistCredit,
    releaseId: c.release?.id ?? null,
    releaseTitle: c.release?.title ?? null,
    score: c.score,
  }));

/**
 * The enrichment stage: reads a committed track back from the catalog, asks
 * MusicBrainz (and the Cover Art Archive) about it through the enricher, and
 * writes the outcome in one transaction — the track's status, score and
 * candidates; on a match its recording MBID, canonical title and artist
 * credit, and its album's release MBID, canonical title and cover. A
 * `deferred` outcome (a host down, rate-limited or its breaker open) is
 * recorded as such, then a `DeferJobError` has the worker park the job on
 * the delayed queue for the enricher's `retryAfterMs`: it never fails and
 * never holds an import job.
 * Idempotent: a redelivery enriches again (MusicBrainz answers are cached).
 */
export function createEnrichmentHandler(deps: EnrichmentDeps): EnrichmentHandler {
  const { db, log } = deps;

  const load = async (trackId: string): Promise<TrackRow | undefined> => {
    const rows = await db.execute<TrackRow>(sql`
      select t.id, t.title, t.file_path, t.duration, t.isrc, t.musicbrainz_recording_id, t.album_id,
             al.title as album_title, al.musicbrainz_release_id as album_release_id,
             (select count(*)::int from tracks x where x.album_id = t.album_id) as album_track_count,
             aa.name as album_artist,
             (select json_agg(json_build_object('name', a.name, 'role', ta.role) order by ta.position)
                from track_artists ta join artists a on a.id = ta.artist_id
               where ta.track_id = t.id) as artists
        from tracks t
        left join albums al on al.id = t.album_id
        left join artists aa on aa.id = al.album_artist_id
       where t.id = ${trackId}::uuid`);
    return rows[0];
  };

  const write = async (row: TrackRow, result: EnrichResult) => {
    const candidates = result.status === 'candidates' ? JSON.stringify(candidatesOf(result)) : null;
    await db.transaction(async (tx) => {
      if (result.status === 'matched' && result.recording) {
        const artistIds = (result.artists ?? []).map((a) => a.id);
        await tx.execute(sql`
          update tracks set
            enrichment_status = 'matched', enrichment_score = ${result.score},
            enrichment_candidates = null, enriched_at = now(),
            musicbrainz_recording_id = ${result.recording.id},
            musicbrainz_title = ${result.recording.title},
            musicbrainz_artist_credit = ${result.recording.artistCredit},
            musicbrainz_artist_ids = ${sql`${`{${artistIds.map((id) => `"${id}"`).join(',')}}`}::text[]`}
          where id = ${row.id}::uuid`);
        if (row.album_id && (result.release || result.cover)) {
          await tx.execute(sql`
            update albums set
              musicbrainz_release_id = coalesce(${result.release?.id ?? null}, musicbrainz_release_id),
              musicbrainz_title = coalesce(${result.release?.title ?? null}, musicbrainz_title),
              cover_path = coalesce(${result.cover ? path.basename(result.cover.path) : null}, cover_path),
              cover_source = coalesce(${result.cover?.source ?? null}, cover_source)
            where id = ${row.album_id}::uuid`);
        }
        return;
      }
      await tx.execute(sql`
        update tracks set
          enrichment_status = ${result.status},
          enrichment_score = ${result.status === 'deferred' ? null : result.score},
          enrichment_candidates = ${candidates}::jsonb,
          enriched_at = ${result.status === 'deferred' ? null : sql`now()`}
        where id = ${row.id}::uuid`);
    });
  };

  return {
    async handle(job) {
      const row = await load(job.trackId);
      if (!row) return; // deleted since: nothing to enrich
      const result = await deps.enricher.enrichTrack(inputOf(row));
      deps.onResult?.(result.status);
      await write(row, result);
      if (result.status === 'deferred') {
        const delay = Math.min(MAX_DEFER_MS, Math.max(MIN_DEFER_MS, result.retryAfterMs ?? MIN_DEFER_MS));
        log.info(
          { trackId: job.trackId, path: job.path, delayMs: delay, ...result.deferred },
          'enrichment deferred',
        );
        // The worker parks the job on the delayed queue for `delay`.
        throw new DeferJobError(
          delay,
          `enrichment deferred: ${result.deferred?.reason ?? 'host unavailable'}`,
        );
      }
    },
    async gaveUp(job, reason) {
      // Not retryable (e.g. a 4xx other than 404/429): the track stays unenriched; `enrichTracks` re-runs it.
      log.warn({ trackId: job.trackId, path: job.path, reason }, 'enrichment failed');
      await db.execute(sql`
        update tracks set enrichment_status = 'not_found', enrichment_score = 0,
                          enrichment_candidates = null, enriched_at = now()
         where id = ${job.trackId}::uuid`);
    },
  };
}
