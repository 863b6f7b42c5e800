import { similarity } from './similarity.ts';
import type { MbArtistCredit, MbRecording, MbRelease } from './types.ts';

/** A track's own metadata, as its tags say. */
export interface TrackFacts {
  readonly title?: string;
  readonly artist?: string;
  readonly album?: string;
  readonly durationMs?: number;
  /** Tracks on the album, when the tags say. */
  readonly trackCount?: number;
}

/** Weights of the match score; a part the tags lack is left out and the rest renormalized. */
export const SCORE_WEIGHTS = Object.freeze({ title: 0.4, artist: 0.3, album: 0.15, duration: 0.15 });

/** Full marks within 2 s of the recording's length, none from 15 s. */
export function durationScore(aMs: number, bMs: number): number {
  const diff = Math.abs(aMs - bMs);
  if (diff <= 2000) return 1;
  if (diff >= 15_000) return 0;
  return 1 - (diff - 2000) / 13_000;
}

/** "Artist A feat. Artist B" from an artist credit. */
export function creditName(credit: readonly MbArtistCredit[] | undefined): string {
  return (credit ?? [])
    .map((c) => `${c.name}${c.joinphrase ?? ''}`)
    .join('')
    .trim();
}

export function releaseTrackCount(release: MbRelease): number | undefined {
  if (release['track-count'] !== undefined) return release['track-count'];
  const media = release.media ?? [];
  if (media.length === 0 || media.some((m) => m['track-count'] === undefined)) return undefined;
  return media.reduce((n, m) => n + (m['track-count'] ?? 0), 0);
}

/**
 * The score of a recording on a release for a track, in [0, 1]:
 * weighted title, artist and album similarity and duration closeness.
 */
export function scoreMatch(
  track: TrackFacts,
  recording: MbRecording,
  release: MbRelease | undefined,
): number {
  let total = 0;
  let weight = 0;
  const add = (w: number, value: number) => {
    total += w * value;
    weight += w;
  };
  if (track.title) add(SCORE_WEIGHTS.title, similarity(track.title, recording.title));
  if (track.artist)
    add(SCORE_WEIGHTS.artist, similarity(track.artist, creditName(recording['artist-credit'])));
  if (track.album) add(SCORE_WEIGHTS.album, release ? similarity(track.album, release.title) : 0);
  if (track.durationMs !== undefined && recording.length) {
    add(SCORE_WEIGHTS.duration, durationScore(track.durationMs, recording.length));
  }
  return weight === 0 ? 0 : total / weight;
}

/**
 * Orders releases of one recording for a track: best album title first,
 * then the one whose track count equals the album's, then official ones,
 * then the earliest date (an undated release last).
 */
export function compareReleases(track: TrackFacts, a: MbRelease, b: MbRelease): number {
  if (track.album) {
    const d = similarity(track.album, b.title) - similarity(track.album, a.title);
    if (Math.abs(d) > 1e-9) return d;
  }
  if (track.trackCount !== undefined) {
    const ta = releaseTrackCount(a) === track.trackCount ? 1 : 0;
    const tb = releaseTrackCount(b) === track.trackCount ? 1 : 0;
    if (ta !== tb) return tb - ta;
  }
  const oa = a.status === 'Official' ? 1 : 0;
  const ob = b.status === 'Official' ? 1 : 0;
  if (oa !== ob) return ob - oa;
  const da = a.date || '9999';
  const db = b.date || '9999';
  return da < db ? -1 : da > db ? 1 : 0;
}
