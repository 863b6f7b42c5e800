import { KEY_PROFILES, type KeyProfileName } from './key-profiles.ts';

/** Sub-bins per semitone of the pitch spectrum: 10 cents each, fine enough to measure tuning. */
export const SUB_BINS = 10;
/** Lowest pitch of the spectrum, MIDI (C2, 65.4 Hz), and how many semitones it spans (to C7). */
export const LOWEST_PITCH = 36;
export const SEMITONES = 61;

/** How the key is chosen from the pitch spectrum; fitted on the evaluation set's tuning half. */
export interface KeyChoiceParams {
  readonly profile: KeyProfileName;
  /**
   * Share of each semitone's energy removed from its 2nd–5th harmonics'
   * semitones (octave, twelfth, double octave, major third above): the
   * overtones of a note otherwise add its fifth and major third to the chroma.
   */
  readonly harmonicSuppression: number;
  /** Extra weight of the two lowest octaves (C2–B3: bass line, chord roots). */
  readonly bassWeight: number;
}

export const KEY_CHOICE: KeyChoiceParams = { profile: 'kostkaPayne', harmonicSuppression: 0, bassWeight: 0 };

/** Semitone offsets of the 2nd to 5th harmonics. */
const HARMONICS = [12, 19, 24, 28];

export interface KeyChoice {
  readonly tonic: number;
  readonly mode: 'major' | 'minor';
  /** Pearson correlation of the chroma with the chosen profile. */
  readonly correlation: number;
  /** How far it beats the runner-up's correlation. */
  readonly margin: number;
  /** The estimated tuning, cents from A = 440 Hz. */
  readonly tuningCents: number;
  readonly chroma: readonly number[];
}

/**
 * Estimates the tuning from the fine pitch spectrum (`SEMITONES` ×
 * `SUB_BINS` sums; sub-bin j of semitone p covers −50 + 10j to −40 + 10j
 * cents around MIDI pitch `LOWEST_PITCH` + p), gathers each semitone's
 * energy around its tuned centre, suppresses overtones, folds to a chroma
 * and correlates it with the 24 rotated profiles.
 */
export function chooseKey(fine: Float64Array, params: KeyChoiceParams = KEY_CHOICE): KeyChoice | null {
  const tuningCents = estimateTuning(fine);
  const semis = new Float64Array(SEMITONES);
  for (let f = 0; f < fine.length; f++) {
    const v = fine[f]!;
    if (v === 0) continue;
    // Cents of this sub-bin's centre above its semitone's tuned centre, wrapped to ±50.
    const cents = -45 + 10 * (f % SUB_BINS) - tuningCents;
    const shift = Math.round(cents / 100);
    const p = Math.floor(f / SUB_BINS) + shift;
    if (p < 0 || p >= SEMITONES) continue;
    // Energy between two semitones is mostly leakage: weight by closeness to the centre.
    semis[p]! += v * Math.exp(-0.5 * ((cents - 100 * shift) / 30) ** 2);
  }
  if (params.harmonicSuppression > 0) {
    for (let p = 0; p < SEMITONES; p++) {
      const v = semis[p]!;
      for (const h of HARMONICS) {
        if (p + h < SEMITONES) semis[p + h] = Math.max(0, semis[p + h]! - params.harmonicSuppression * v);
      }
    }
  }
  const chroma = new Float64Array(12);
  for (let p = 0; p < SEMITONES; p++) {
    const weight = p < 24 ? 1 + params.bassWeight : 1;
    chroma[(LOWEST_PITCH + p) % 12]! += weight * semis[p]!;
  }
  if (chroma.every((v) => v === 0)) return null;
  const profile = KEY_PROFILES[params.profile];
  const scores: { tonic: number; mode: 'major' | 'minor'; r: number }[] = [];
  for (let tonic = 0; tonic < 12; tonic++) {
    scores.push({ tonic, mode: 'major', r: correlate(chroma, profile.major, tonic) });
    scores.push({ tonic, mode: 'minor', r: correlate(chroma, profile.minor, tonic) });
  }
  scores.sort((x, y) => y.r - x.r);
  const [best, second] = scores as [(typeof scores)[0], (typeof scores)[0]];
  return {
    tonic: best.tonic,
    mode: best.mode,
    correlation: best.r,
    margin: best.r - second.r,
    tuningCents,
    chroma: Array.from(chroma),
  };
}

/**
 * Tuning as the circular mean of where, within a semitone, the energy lies
 * (each sub-bin an angle round the semitone): cents in −50..50.
 */
export function estimateTuning(fine: Float64Array): number {
  let x = 0;
  let y = 0;
  for (let f = 0; f < fine.length; f++) {
    const angle = (2 * Math.PI * (-45 + 10 * (f % SUB_BINS))) / 100;
    x += fine[f]! * Math.cos(angle);
    y += fine[f]! * Math.sin(angle);
  }
  return x === 0 && y === 0 ? 0 : (Math.atan2(y, x) / (2 * Math.PI)) * 100;
}

/** Pearson correlation of the chroma with a profile whose tonic sits at pitch class `tonic`. */
function correlate(chroma: Float64Array, profile: readonly number[], tonic: number): number {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < 12; i++) {
    mx += chroma[i]!;
    my += profile[i]!;
  }
  mx /= 12;
  my /= 12;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < 12; i++) {
    const x = chroma[(i + tonic) % 12]! - mx;
    const y = profile[i]! - my;
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  return sxx === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}
