// Synthetic audio analyses for the scale benchmark, shaped like what the
// analyser stores: tempo spread by genre over 60–190 BPM, the 24 keys,
// loudness and ReplayGain, min/max waveforms at the analyser's resolutions
// and an EBU R128 gating histogram at its public bin width. Deterministic:
// the same content index always gives the same analysis, so a duplicate
// (content shared by several tracks) needs no memory of the original.
import { createHash } from 'node:crypto';
import {
  ANALYZER_VERSION,
  GATING_HISTOGRAM_STEP_LU,
  describeKey,
  type TrackAnalysis,
  type Waveform,
} from '@tonegraph/audio-analysis';
import { GENRES, prng as seedPrng } from '@tonegraph/catalog/seed';

/** The resolutions `packages/audio-analysis` stores (analysers/waveform.ts). */
export const WAVEFORM_RESOLUTIONS = [256, 1024, 4096] as const;
/** The analyser's absolute gate, where the gating histogram starts. */
const GATE_LUFS = -70;

/** The catalog seed's mulberry32, with a normal distribution and ranges on top. */
export function prng(seed: number) {
  const base = seedPrng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - base.next())) * Math.cos(2 * Math.PI * base.next());
  return {
    ...base,
    normal,
    between: (lo: number, hi: number) => lo + base.next() * (hi - lo),
  };
}

type Rng = ReturnType<typeof prng>;

/** BPM range, loudness (mean, spread) and share without a detectable beat, per catalog genre. */
const GENRE_PROFILES: Record<
  (typeof GENRES)[number],
  { bpm: [number, number]; lufs: [number, number]; lra: [number, number]; noBeat: number }
> = {
  House: { bpm: [118, 128], lufs: [-8, 1.5], lra: [3, 7], noBeat: 0 },
  Techno: { bpm: [125, 145], lufs: [-8, 1.5], lra: [3, 7], noBeat: 0 },
  'Drum & Bass': { bpm: [160, 178], lufs: [-7, 1.5], lra: [3, 7], noBeat: 0 },
  Jazz: { bpm: [70, 190], lufs: [-14, 3], lra: [8, 15], noBeat: 0.02 },
  Rock: { bpm: [90, 165], lufs: [-9, 2], lra: [5, 10], noBeat: 0 },
  Pop: { bpm: [95, 130], lufs: [-8, 1.5], lra: [4, 8], noBeat: 0 },
  'Hip-Hop': { bpm: [80, 100], lufs: [-8, 1.5], lra: [4, 8], noBeat: 0 },
  Ambient: { bpm: [60, 110], lufs: [-16, 3], lra: [6, 14], noBeat: 0.3 },
  Classical: { bpm: [60, 140], lufs: [-20, 4], lra: [12, 22], noBeat: 0.1 },
  Soul: { bpm: [70, 110], lufs: [-11, 2], lra: [5, 10], noBeat: 0 },
  Disco: { bpm: [110, 130], lufs: [-10, 2], lra: [4, 8], noBeat: 0 },
  Folk: { bpm: [70, 130], lufs: [-13, 2.5], lra: [6, 12], noBeat: 0.03 },
};
const DEFAULT_PROFILE = GENRE_PROFILES.Pop;
const isGenre = (genre: string | undefined): genre is (typeof GENRES)[number] =>
  (GENRES as readonly (string | undefined)[]).includes(genre);

/** What the catalog knows of a track that shapes its analysis. */
export interface ContentSeed {
  readonly index: number;
  readonly genre: string | undefined;
  readonly durationSeconds: number;
  readonly sampleRate: number;
  readonly channels: number;
}

/** A SHA-256 content hash (lowercase hex), unique to this run and content index. */
export const contentHash = (runTag: string, index: number) =>
  createHash('sha256').update(`tonegraph-scale:${runTag}:${index}`).digest('hex');

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Sections of a track (intro, verses, drops, outro) as levels over its length, then min/max peaks. */
function waveforms(rng: Rng, peakLevel: number): Waveform[] {
  const finest = WAVEFORM_RESOLUTIONS.at(-1)!;
  const sections = 4 + rng.int(6);
  const cuts = [0, ...Array.from({ length: sections - 1 }, () => rng.next()).sort(), 1];
  const levels = cuts.slice(1).map(() => peakLevel * rng.between(0.45, 1));
  const min = new Array<number>(finest);
  const max = new Array<number>(finest);
  let section = 0;
  for (let p = 0; p < finest; p++) {
    const at = p / finest;
    while (at > cuts[section + 1]!) section++;
    const fade = Math.min(1, at / 0.02, (1 - at) / 0.04);
    const level = levels[section]! * fade * rng.between(0.6, 1);
    max[p] = Math.fround(level);
    min[p] = Math.fround(-level * rng.between(0.85, 1.1));
  }
  return WAVEFORM_RESOLUTIONS.map((points) => {
    if (points === finest) return { points, min, max };
    const factor = finest / points;
    const lo = new Array<number>(points);
    const hi = new Array<number>(points);
    for (let p = 0; p < points; p++) {
      let a = Infinity;
      let b = -Infinity;
      for (let k = p * factor; k < (p + 1) * factor; k++) {
        a = Math.min(a, min[k]!);
        b = Math.max(b, max[k]!);
      }
      lo[p] = a;
      hi[p] = b;
    }
    return { points, min: lo, max: hi };
  });
}

/** Gating blocks every 100 ms: most around the programme loudness, a quieter tail, fades near the gate. */
function gatingHistogram(rng: Rng, durationSeconds: number, lufs: number, lra: number) {
  const step = GATING_HISTOGRAM_STEP_LU;
  const counts: number[] = [];
  const blocks = Math.max(1, Math.floor(durationSeconds * 10) - 3);
  for (let b = 0; b < blocks; b++) {
    const r = rng.next();
    const l =
      r < 0.85
        ? lufs + 0.8 + rng.normal() * (lra / 3)
        : r < 0.96
          ? rng.between(lufs - 20, lufs - 4)
          : rng.between(GATE_LUFS, lufs - 20);
    const i = Math.floor((Math.min(l, 9.9) - GATE_LUFS) / step);
    if (i < 0) continue;
    while (counts.length <= i) counts.push(0);
    counts[i]! += 1;
  }
  const energies = counts.map((n, i) => n * 10 ** ((GATE_LUFS + (i + 0.5) * step + 0.691) / 10));
  return { minLufs: GATE_LUFS, stepLu: step, counts, energies };
}

type Summary = Omit<TrackAnalysis, 'waveforms' | 'gatingHistogram'>;

/** Everything but the waveforms and the histogram, which go on drawing from `rng`. */
function summaryOf(seed: ContentSeed, rng: Rng): Summary & { lra: number } {
  const profile = isGenre(seed.genre) ? GENRE_PROFILES[seed.genre] : DEFAULT_PROFILE;
  const lufs = Math.max(-35, Math.min(-4, profile.lufs[0] + rng.normal() * profile.lufs[1]));
  const lra = rng.between(...profile.lra);
  const truePeak = Math.min(1.5, -0.1 - Math.max(0, (-lufs - 7) * 0.4) + rng.normal() * 0.5);
  const samplePeak = truePeak - rng.between(0, 0.4);
  const beat = rng.next() >= profile.noBeat;
  const tonal = rng.next() >= profile.noBeat / 2;
  const bpm = round(rng.between(...profile.bpm), 2);
  const tempoConfidence = round(rng.between(0.3, 0.98), 3);
  const key = describeKey(
    rng.int(12),
    rng.next() < 0.55 ? 'minor' : 'major',
    round(rng.between(0.2, 0.95), 3),
  );
  return {
    analyzerVersion: ANALYZER_VERSION,
    durationSeconds: seed.durationSeconds,
    sampleRate: seed.sampleRate,
    channels: seed.channels,
    loudness: {
      integratedLufs: round(lufs, 2),
      loudnessRangeLu: round(lra, 2),
      truePeakDbtp: round(truePeak, 2),
      samplePeakDbfs: round(samplePeak, 2),
    },
    replayGain: { trackGainDb: round(-18 - lufs, 2), trackPeak: round(10 ** (truePeak / 20), 6) },
    tempo: beat ? { bpm, confidence: tempoConfidence } : null,
    key: tonal ? key : null,
    lra,
  };
}

const rngOf = (seed: ContentSeed) => prng(0x5ca1e + seed.index * 7919);

/** The features the library graph's similarity uses, equal to those of {@link syntheticAnalysis}. */
export function syntheticFeatures(seed: ContentSeed) {
  const s = summaryOf(seed, rngOf(seed));
  return {
    bpm: s.tempo?.bpm ?? null,
    camelot: s.key?.camelot ?? null,
    integratedLufs: s.loudness.integratedLufs,
  };
}

/** The analysis of one content, as `TrackAnalyser` would have stored it. */
export function syntheticAnalysis(seed: ContentSeed): TrackAnalysis {
  const rng = rngOf(seed);
  const { lra, ...summary } = summaryOf(seed, rng);
  const lufs = summary.loudness.integratedLufs!;
  return {
    ...summary,
    waveforms: waveforms(rng, Math.min(1.15, summary.replayGain.trackPeak)),
    gatingHistogram: gatingHistogram(rng, seed.durationSeconds, lufs, lra),
  };
}
