import type { MusicBrainzClient } from './client.ts';
import { compareReleases, creditName, releaseTrackCount, scoreMatch, type TrackFacts } from './score.ts';
import type { MbRecording, MbRelease } from './types.ts';

/** What the tags of a track say, for matching. */
export interface MatchInput extends TrackFacts {
  /** MusicBrainz ids from the tags (MUSICBRAINZ_TRACKID is the recording id in Picard's naming). */
  readonly mbids?: { readonly recording?: string; readonly release?: string };
  readonly isrcs?: readonly string[];
}

export interface MatchedRecording {
  readonly id: string;
  readonly title: string;
  readonly lengthMs?: number;
  /** The credited artist name as MusicBrainz writes it, join phrases included. */
  readonly artistCredit: string;
}

export interface MatchedRelease {
  readonly id: string;
  readonly title: string;
  readonly date?: string;
  readonly status?: string;
  readonly country?: string;
  readonly trackCount?: number;
  readonly releaseGroupId?: string;
}

export interface MatchedArtist {
  readonly id: string;
  readonly name: string;
  readonly sortName?: string;
}

/** A recording on a release with its score: the applied match, or a candidate kept for review. */
export interface Candidate {
  readonly recording: MatchedRecording;
  readonly release?: MatchedRelease;
  readonly artists: readonly MatchedArtist[];
  readonly score: number;
}

export type MatchVia = 'mbid' | 'isrc' | 'search' | 'acoustid';

export type MatchResult =
  | ({ readonly status: 'matched'; readonly via: MatchVia } & Candidate)
  | { readonly status: 'candidates'; readonly score: number; readonly candidates: readonly Candidate[] }
  | { readonly status: 'not_found'; readonly score: 0 };

/** Options of {@link createMatcher}. */
export interface MatcherOptions {
  /** Score from which a search or ISRC result is applied. Default 0.85. */
  readonly threshold?: number;
  /** Lowest score kept as a candidate. Default 0.5. */
  readonly minCandidateScore?: number;
  /** Candidates kept. Default 5. */
  readonly maxCandidates?: number;
}

export function toCandidate(
  recording: MbRecording,
  release: MbRelease | undefined,
  score: number,
): Candidate {
  const trackCount = release ? releaseTrackCount(release) : undefined;
  return {
    recording: {
      id: recording.id,
      title: recording.title,
      ...(recording.length ? { lengthMs: recording.length } : {}),
      artistCredit: creditName(recording['artist-credit']),
    },
    ...(release
      ? {
          release: {
            id: release.id,
            title: release.title,
            ...(release.date ? { date: release.date } : {}),
            ...(release.status ? { status: release.status } : {}),
            ...(release.country ? { country: release.country } : {}),
            ...(trackCount !== undefined ? { trackCount } : {}),
            ...(release['release-group'] ? { releaseGroupId: release['release-group'].id } : {}),
          },
        }
      : {}),
    artists: (recording['artist-credit'] ?? []).map((c) => ({
      id: c.artist.id,
      name: c.artist.name,
      ...(c.artist['sort-name'] ? { sortName: c.artist['sort-name'] } : {}),
    })),
    score: Math.round(score * 1000) / 1000,
  };
}

/** The release of `recording` that suits the track best (see {@link compareReleases}). */
export function bestRelease(
  track: TrackFacts,
  recording: MbRecording,
  preferId?: string,
): MbRelease | undefined {
  const releases = recording.releases ?? [];
  const preferred = preferId ? releases.find((r) => r.id === preferId) : undefined;
  return preferred ?? [...releases].sort((a, b) => compareReleases(track, a, b))[0];
}

/** Every recording with its best release, scored, best first. */
export function rank(
  track: TrackFacts,
  recordings: readonly MbRecording[],
  adjust: (score: number) => number = (s) => s,
): Candidate[] {
  const scored = recordings.map((recording) => {
    const release = bestRelease(track, recording);
    return { recording, release, score: adjust(scoreMatch(track, recording, release)) };
  });
  scored.sort((a, b) => {
    if (Math.abs(b.score - a.score) > 1e-9) return b.score - a.score;
    if (a.release && b.release) return compareReleases(track, a.release, b.release);
    return a.release ? -1 : b.release ? 1 : 0;
  });
  return scored.map((s) => toCandidate(s.recording, s.release, s.score));
}

/**
 * Resolves a track: by the recording MBID in its tags when present, else by
 * ISRC, else by a search; ISRC and search results apply only from the
 * threshold, lower ones are returned as candidates.
 */
export function createMatcher(mb: MusicBrainzClient, options: MatcherOptions = {}) {
  const threshold = options.threshold ?? 0.85;
  const minCandidate = options.minCandidateScore ?? 0.5;
  const maxCandidates = options.maxCandidates ?? 5;

  function decide(ranked: readonly Candidate[], via: MatchVia): MatchResult {
    const best = ranked[0];
    if (!best) return { status: 'not_found', score: 0 };
    if (best.score >= threshold) return { status: 'matched', via, ...best };
    const candidates = ranked.filter((c) => c.score >= minCandidate).slice(0, maxCandidates);
    return candidates.length > 0
      ? { status: 'candidates', score: best.score, candidates }
      : { status: 'not_found', score: 0 };
  }

  return {
    threshold,
    async match(track: MatchInput): Promise<MatchResult> {
      if (track.mbids?.recording) {
        const recording = await mb.recording(track.mbids.recording);
        if (recording) {
          const release = bestRelease(track, recording, track.mbids.release);
          // An id from the tags is authoritative: full score whatever the names say.
          return { status: 'matched', via: 'mbid', ...toCandidate(recording, release, 1) };
        }
      }
      let ranked: Candidate[] = [];
      for (const isrc of track.isrcs ?? []) {
        const recordings = await mb.isrc(isrc);
        if (recordings.length === 0) continue;
        // The shared ISRC is half the evidence; the names and length the other half.
        ranked = rank(track, recordings, (s) => 0.5 + 0.5 * s);
        if ((ranked[0]?.score ?? 0) >= threshold) return decide(ranked, 'isrc');
      }
      if (track.title) {
        let recordings = await mb.search({ ...track, title: track.title });
        if (recordings.length === 0 && (track.album || track.durationMs !== undefined)) {
          // Tags often name another edition or carry a length off by seconds:
          // a relaxed search on title and artist still finds candidates.
          recordings = await mb.search({
            title: track.title,
            ...(track.artist ? { artist: track.artist } : {}),
          });
        }
        const found = rank(track, recordings);
        const merged = [...ranked, ...found]
          .sort((a, b) => b.score - a.score)
          .filter((c, i, all) => all.findIndex((o) => o.recording.id === c.recording.id) === i);
        return decide(merged, found[0] && found[0].score >= (ranked[0]?.score ?? 0) ? 'search' : 'isrc');
      }
      return decide(ranked, 'isrc');
    },
    /** Applies a recording MBID found another way (AcoustID), with that way's score. */
    async byRecordingId(track: MatchInput, recordingId: string, score: number): Promise<MatchResult> {
      const recording = await mb.recording(recordingId);
      if (!recording) return { status: 'not_found', score: 0 };
      return decide([toCandidate(recording, bestRelease(track, recording), score)], 'acoustid');
    },
  };
}

export type Matcher = ReturnType<typeof createMatcher>;
