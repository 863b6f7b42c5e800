import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { EnrichmentCandidate } from '../db/schema.ts';

export type { EnrichmentCandidate } from '../db/schema.ts';

/** A track as the enrichment stage looks it up: its tags, album and credits as the catalog holds them. */
export interface EnrichmentTrack {
  readonly id: string;
  readonly title: string;
  readonly filePath: string;
  readonly duration: number | null;
  readonly isrc: string | null;
  readonly musicbrainzRecordingId: string | null;
  readonly albumId: string | null;
  readonly albumTitle: string | null;
  readonly albumReleaseId: string | null;
  /** Tracks of the album in the catalog. */
  readonly albumTrackCount: number | null;
  readonly albumArtist: string | null;
  /** In credit order; null without credits. */
  readonly artists: { name: string; role: string }[] | null;
}

/** What enriching a track found, as {@link saveEnrichment} records it. */
export type EnrichmentOutcome =
  | {
      readonly status: 'matched';
      readonly score: number;
      readonly recording: { readonly id: string; readonly title: string; readonly artistCredit: string };
      /** MBIDs of the credited artists, in credit order. */
      readonly artistIds: readonly string[];
      readonly release: { readonly id: string; readonly title: string } | null;
      /** The album's cover: its file name under COVER_DIR and where it came from. */
      readonly cover: { readonly file: string; readonly source: string } | null;
    }
  | {
      /** `matched` here: a match without a recording, recorded like the other outcomes. */
      readonly status: 'matched' | 'candidates' | 'not_found' | 'deferred';
      readonly score: number | null;
      /** For `candidates`: at most 5, best first; null otherwise. */
      readonly candidates: readonly EnrichmentCandidate[] | null;
    };

/** A track with what enriching it needs, or undefined when it was deleted since it was queued. */
export async function loadEnrichmentTrack(db: Db, trackId: string): Promise<EnrichmentTrack | undefined> {
  const rows = await db.execute<EnrichmentTrack & Record<string, unknown>>(sql`
    select t.id, t.title, t.file_path as "filePath", t.duration, t.isrc,
           t.musicbrainz_recording_id as "musicbrainzRecordingId", t.album_id as "albumId",
           al.title as "albumTitle", al.musicbrainz_release_id as "albumReleaseId",
           (select count(*)::int from tracks x where x.album_id = t.album_id) as "albumTrackCount",
           aa.name as "albumArtist",
           (select json_agg(json_build_object('name', a.name, 'role', ta.role) order by ta.position)
              from track_artists ta join artists a on a.id = ta.artist_id
             where ta.track_id = t.id) as artists
      from tracks t
      left join albums al on al.id = t.album_id
      left join artists aa on aa.id = al.album_artist_id
     where t.id = ${trackId}::uuid`);
  return rows[0];
}

/**
 * Records a track's enrichment in one transaction: its status, score and
 * candidates; on a match its recording MBID, canonical title, artist credit
 * and artist MBIDs, and its album's release MBID, canonical title and cover
 * (kept where the match has none). A `deferred` outcome clears the score
 * and `enriched_at`: the track is not enriched yet.
 */
export async function saveEnrichment(
  db: Db,
  track: { readonly id: string; readonly albumId: string | null },
  outcome: EnrichmentOutcome,
): Promise<void> {
  await db.transaction(async (tx) => {
    if ('recording' in outcome) {
      const { recording, release, cover } = outcome;
      await tx.execute(sql`
        update tracks set
          enrichment_status = 'matched', enrichment_score = ${outcome.score},
          enrichment_candidates = null, enriched_at = now(),
          musicbrainz_recording_id = ${recording.id},
          musicbrainz_title = ${recording.title},
          musicbrainz_artist_credit = ${recording.artistCredit},
          musicbrainz_artist_ids = ${sql`${`{${outcome.artistIds.map((id) => `"${id}"`).join(',')}}`}::text[]`}
        where id = ${track.id}::uuid`);
      if (track.albumId && (release || cover)) {
        await tx.execute(sql`
          update albums set
            musicbrainz_release_id = coalesce(${release?.id ?? null}, musicbrainz_release_id),
            musicbrainz_title = coalesce(${release?.title ?? null}, musicbrainz_title),
            cover_path = coalesce(${cover?.file ?? null}, cover_path),
            cover_source = coalesce(${cover?.source ?? null}, cover_source)
          where id = ${track.albumId}::uuid`);
      }
      return;
    }
    const deferred = outcome.status === 'deferred';
    const candidates = outcome.candidates ? JSON.stringify(outcome.candidates) : null;
    await tx.execute(sql`
      update tracks set
        enrichment_status = ${outcome.status},
        enrichment_score = ${deferred ? null : outcome.score},
        enrichment_candidates = ${candidates}::jsonb,
        enriched_at = ${deferred ? null : sql`now()`}
      where id = ${track.id}::uuid`);
  });
}

/** Records that a track's enrichment failed for good: `not_found` with score 0 (`enrichTracks` re-runs it). */
export async function markEnrichmentGivenUp(db: Db, trackId: string): Promise<void> {
  await db.execute(sql`
    update tracks set enrichment_status = 'not_found', enrichment_score = 0,
                      enrichment_candidates = null, enriched_at = now()
     where id = ${trackId}::uuid`);
}
