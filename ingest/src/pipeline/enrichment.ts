import path from 'node:path';
import type { Db } from '@tonegraph/catalog/db';
import {
  loadEnrichmentTrack,
  markEnrichmentGivenUp,
  saveEnrichment,
  type EnrichmentCandidate,
  type EnrichmentOutcome,
  type EnrichmentTrack,
} from '@tonegraph/catalog/store';
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
function inputOf(row: EnrichmentTrack): EnrichInput {
  const artist = artistCredit(row.artists ?? []) ?? row.albumArtist;
  const recording = row.musicbrainzRecordingId ?? undefined;
  const release = row.albumReleaseId ?? undefined;
  return {
    title: row.title,
    ...(artist ? { artist } : {}),
    ...(row.albumTitle ? { album: row.albumTitle } : {}),
    ...(row.duration ? { durationMs: Math.round(row.duration * 1000) } : {}),
    ...(row.albumTrackCount ? { trackCount: row.albumTrackCount } : {}),
    ...(row.isrc ? { isrcs: [row.isrc] } : {}),
    ...(recording || release
      ? { mbids: { ...(recording ? { recording } : {}), ...(release ? { release } : {}) } }
      : {}),
    path: row.filePath,
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

/** What the catalog records of an enricher's result: a match is applied only with its recording. */
function outcomeOf(result: EnrichResult): EnrichmentOutcome {
  if (result.status === 'matched' && result.recording)
    return {
      status: 'matched',
      score: result.score,
      recording: result.recording,
      artistIds: (result.artists ?? []).map((a) => a.id),
      release: result.release ?? null,
      // The catalog stores the file's name: covers are served from COVER_DIR.
      cover: result.cover ? { file: path.basename(result.cover.path), source: result.cover.source } : null,
    };
  return {
    status: result.status,
    score: result.score,
    candidates: result.status === 'candidates' ? candidatesOf(result) : null,
  };
}

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

  return {
    async handle(job) {
      const row = await loadEnrichmentTrack(db, job.trackId);
      if (!row) return; // deleted since: nothing to enrich
      const result = await deps.enricher.enrichTrack(inputOf(row));
      deps.onResult?.(result.status);
      await saveEnrichment(db, row, outcomeOf(result));
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
      await markEnrichmentGivenUp(db, job.trackId);
    },
  };
}
