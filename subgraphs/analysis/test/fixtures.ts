import { createHash, randomUUID } from 'node:crypto';
import type { GatingHistogram, MusicalKey, TrackAnalysis } from '../src/documents.ts';

export const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
export const uuid = () => randomUUID();

/** A histogram whose blocks all sit at `lufs` (≥ −70; bin width 0.5 LU from −70). */
export function histogramAt(lufs: number, blocks: number): GatingHistogram {
  const minLufs = -70;
  const stepLu = 0.5;
  const counts = new Array<number>(140).fill(0);
  const energies = new Array<number>(140).fill(0);
  const bin = Math.floor((lufs - minLufs) / stepLu);
  counts[bin] = blocks;
  energies[bin] = blocks * 10 ** ((lufs + 0.691) / 10);
  return { minLufs, stepLu, counts, energies };
}

const KEYS: Record<string, Omit<MusicalKey, 'confidence'>> = {
  '8A': { tonic: 'A', mode: 'minor', name: 'A minor', camelot: '8A', openKey: '1m' },
  '8B': { tonic: 'C', mode: 'major', name: 'C major', camelot: '8B', openKey: '1d' },
  '7A': { tonic: 'D', mode: 'minor', name: 'D minor', camelot: '7A', openKey: '12m' },
  '9A': { tonic: 'E', mode: 'minor', name: 'E minor', camelot: '9A', openKey: '2m' },
  '3A': { tonic: 'A#', mode: 'minor', name: 'A# minor', camelot: '3A', openKey: '8m' },
  '12A': { tonic: 'C#', mode: 'minor', name: 'C# minor', camelot: '12A', openKey: '5m' },
  '1A': { tonic: 'G#', mode: 'minor', name: 'G# minor', camelot: '1A', openKey: '6m' },
  '11A': { tonic: 'F#', mode: 'minor', name: 'F# minor', camelot: '11A', openKey: '4m' },
};

/** An analysis as the analyser would produce it, with the given tempo, key and loudness. */
export function analysis(
  options: {
    bpm?: number | null | undefined;
    camelot?: string | null | undefined;
    lufs?: number;
    version?: string;
    peak?: number;
  } = {},
): TrackAnalysis {
  const lufs = options.lufs ?? -14;
  const camelot = options.camelot === undefined ? '8A' : options.camelot;
  const key = camelot ? KEYS[camelot] : undefined;
  if (camelot && !key) throw new Error(`no fixture key ${camelot}`);
  const ramp = (n: number) => Array.from({ length: n }, (_, i) => i / n);
  return {
    analyzerVersion: options.version ?? '1',
    durationSeconds: 200,
    sampleRate: 44_100,
    channels: 2,
    loudness: { integratedLufs: lufs, loudnessRangeLu: 6, truePeakDbtp: -1, samplePeakDbfs: -1.2 },
    replayGain: { trackGainDb: -18 - lufs, trackPeak: options.peak ?? 0.89 },
    tempo: options.bpm === null ? null : { bpm: options.bpm ?? 120, confidence: 0.9 },
    key: key ? { ...key, confidence: 0.8 } : null,
    waveforms: [
      { points: 4096, min: ramp(4096).map((v) => -v), max: ramp(4096) },
      { points: 256, min: ramp(256).map((v) => -v), max: ramp(256) },
    ],
    gatingHistogram: histogramAt(lufs, 500),
  };
}
