import type {
  GatingHistogram,
  Loudness,
  MusicalKey,
  ReplayGain,
  Tempo,
  TrackAnalysis,
  Waveform,
} from '@tonegraph/audio-analysis';
import type { StoredHistogram, StoredWaveform } from './compact.ts';

export type { GatingHistogram, MusicalKey, TrackAnalysis, Waveform };

/** Where a track is in its analysis. */
export type AnalysisStatus = 'pending' | 'analyzing' | 'done' | 'failed';

/**
 * Collection `analyses`: one small document per audio content and analyser
 * version, with everything the analyser measured but the waveforms and the
 * gating histogram (those are in `analysis_data`). Tracks with identical
 * content share it; linking a track to it reads only this.
 */
export interface AnalysisDocument extends Omit<TrackAnalysis, 'waveforms' | 'gatingHistogram'> {
  /** `<sha256>:<analyzerVersion>` */
  readonly _id: string;
  readonly contentHash: string;
  /** When this content was first analysed by this version. */
  readonly analyzedAt: Date;
}

/** Collection `analysis_data`: the large parts of an analysis, compact (see compact.ts); same `_id`. */
export interface AnalysisDataDocument {
  readonly _id: string;
  readonly waveforms: readonly StoredWaveform[];
  readonly gatingHistogram: StoredHistogram;
}

/** The small part of an analysis that queries filter, sort and display by. */
export interface AnalysisSummary {
  readonly tempo: Tempo | null;
  /** Integer BPM (floor), for the tempo histogram: a plain field `$group` can use everywhere. */
  readonly tempoBucket: number | null;
  readonly key: MusicalKey | null;
  readonly loudness: Loudness;
  readonly replayGain: ReplayGain;
  readonly durationSeconds: number;
  readonly analyzedAt: Date;
}

/**
 * Collection `tracks`: one small document per catalog track, with a copy of
 * its analysis summary, so that entity resolution and tempo/key queries are
 * one command each and never touch the large `analyses` documents.
 */
export interface TrackDocument extends Partial<AnalysisSummary> {
  /** The catalog's track id (UUID). */
  readonly _id: string;
  readonly contentHash: string;
  readonly libraryId: string;
  readonly albumId: string | null;
  readonly status: AnalysisStatus;
  /** Why the last analysis failed; null unless `status` is failed. */
  readonly error: string | null;
  /**
   * Version of the analysis the summary comes from; while a re-analysis after
   * a version bump is pending, the previous version's summary stays visible.
   */
  readonly analyzerVersion: string | null;
  readonly updatedAt: Date;
}

/** Summary fields copied onto track documents; cleared when a track's content changes. */
export const SUMMARY_FIELDS = [
  'tempo',
  'tempoBucket',
  'key',
  'loudness',
  'replayGain',
  'durationSeconds',
  'analyzedAt',
] as const satisfies readonly (keyof AnalysisSummary)[];

export const analysisId = (contentHash: string, analyzerVersion: string) =>
  `${contentHash}:${analyzerVersion}`;

export function toSummary(a: AnalysisDocument): AnalysisSummary {
  return {
    tempo: a.tempo ? { bpm: a.tempo.bpm, confidence: a.tempo.confidence } : null,
    tempoBucket: a.tempo ? Math.floor(a.tempo.bpm) : null,
    key: a.key,
    loudness: a.loudness,
    replayGain: a.replayGain,
    durationSeconds: a.durationSeconds,
    analyzedAt: a.analyzedAt,
  };
}
