import { gatedLoudness } from './analysers/histogram.ts';
import type { GatingHistogram, ReplayGain, TrackAnalysis } from './types.ts';

/** ReplayGain 2.0 reference loudness. */
export const REPLAY_GAIN_REFERENCE_LUFS = -18;

/** Track gain from integrated loudness: reference minus measured, dB (null for silence). */
export function replayGainDb(integratedLufs: number | null): number | null {
  return integratedLufs === null ? null : round2(REPLAY_GAIN_REFERENCE_LUFS - integratedLufs);
}

/**
 * Integrated loudness of several tracks played as one programme (an album),
 * from their gating histograms: bins are summed and gated once, which is
 * what BS.1770 gives for the concatenated audio. Histograms must share a bin
 * grid (`stepLu`, and `minLufs` on that grid); null when nothing passes the
 * gates.
 */
export function albumLoudness(histograms: readonly GatingHistogram[]): number | null {
  if (histograms.length === 0) return null;
  const { stepLu, minLufs } = histograms[0]!;
  const counts: number[] = [];
  const energies: number[] = [];
  for (const h of histograms) {
    if (Math.abs(h.stepLu - stepLu) > 1e-9)
      throw new RangeError('gating histograms have different bin widths');
    const offset = Math.round((h.minLufs - minLufs) / stepLu);
    if (offset < 0 || Math.abs(h.minLufs - minLufs - offset * stepLu) > 1e-6) {
      throw new RangeError('gating histograms are on different bin grids');
    }
    for (let i = 0; i < h.counts.length; i++) {
      counts[offset + i] = (counts[offset + i] ?? 0) + h.counts[i]!;
      energies[offset + i] = (energies[offset + i] ?? 0) + h.energies[i]!;
    }
  }
  for (let i = 0; i < counts.length; i++) {
    counts[i] ??= 0;
    energies[i] ??= 0;
  }
  return gatedLoudness({ counts, energies });
}

/** Album gain and peak (ReplayGain 2.0) from the analyses of the album's tracks, no decoding needed. */
export function albumReplayGain(tracks: readonly Pick<TrackAnalysis, 'gatingHistogram' | 'replayGain'>[]): {
  albumGainDb: number | null;
  albumPeak: number;
  albumLufs: number | null;
} {
  const albumLufs = albumLoudness(tracks.map((t) => t.gatingHistogram));
  return {
    albumLufs: albumLufs === null ? null : round2(albumLufs),
    albumGainDb: replayGainDb(albumLufs),
    albumPeak: tracks.reduce((peak, t) => Math.max(peak, t.replayGain.trackPeak), 0),
  };
}

/** Track ReplayGain from a measured loudness and linear true peak. */
export function trackReplayGain(integratedLufs: number | null, truePeak: number): ReplayGain {
  return { trackGainDb: replayGainDb(integratedLufs), trackPeak: Math.round(truePeak * 1e6) / 1e6 };
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
