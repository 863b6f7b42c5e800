/**
 * The octave decision of the tempo estimator, a pure function of the onset
 * envelope's autocorrelation so that it can be fitted and tested on its own.
 *
 * Every tempo on a 0.05 BPM grid is scored with a comb over the first four
 * multiples of its period; the best comb gives the tempo up to a factor of
 * two (a comb at twice the period also fits every other beat). The metrical
 * level a listener taps is then chosen between neighbouring octaves: the
 * faster tempo wins when the envelope repeats at its period nearly as
 * strongly as at the slower one's (q = A(P) / A(2P), its beats are all
 * there) — by more the further the faster tempo lies above the centre of a
 * tempo prior (listeners prefer tempi near ~100–120 BPM, Moelants 2002).
 * The threshold, its slope and the prior's centre are fitted to the
 * evaluation set's tuning half instead of folding into one fixed range.
 */

/** Parameters of the decision, fitted on the evaluation set's tuning half. */
export interface TempoChoiceParams {
  /** Ratio A(P)/A(2P) above which the faster of two octaves wins at the prior's centre. */
  readonly threshold: number;
  /** How much the threshold rises per octave the faster tempo lies above the centre. */
  readonly slope: number;
  /** Centre of the tempo prior, BPM. */
  readonly centre: number;
}

export const TEMPO_CHOICE: TempoChoiceParams = { threshold: 0.5, slope: 0.15, centre: 100 };

/** Periods scored per candidate: more multiples sharpen the BPM estimate. */
const MULTIPLES = 4;
const STEP = 0.05;

export interface TempoChoice {
  readonly bpm: number;
  /** Comb score of the chosen tempo (normalised autocorrelation, ≤ 1). */
  readonly salience: number;
  /** How clear the octave decision was: the smallest |q − threshold| among the decisions taken. */
  readonly margin: number;
}

/**
 * Chooses a tempo in [minBpm, maxBpm] from `acf`, the autocorrelation of the
 * onset envelope normalised to lag 0, sampled at `rate` (envelope frames/s),
 * of which lags up to `usable` are reliable.
 */
export function chooseTempo(
  acf: Float64Array,
  rate: number,
  usable: number,
  minBpm: number,
  maxBpm: number,
  params: TempoChoiceParams = TEMPO_CHOICE,
): TempoChoice | null {
  const at = (lag: number): number => {
    if (lag > usable) return 0;
    const i = Math.floor(lag);
    const f = lag - i;
    return (acf[i] ?? 0) * (1 - f) + (acf[i + 1] ?? 0) * f;
  };
  const score = (bpm: number): number => {
    const period = (60 * rate) / bpm;
    let s = 0;
    let m = 0;
    for (let k = 1; k <= MULTIPLES && k * period <= usable; k++, m++) s += at(k * period);
    return m === 0 ? -Infinity : s / m;
  };
  let best = minBpm;
  let bestScore = -Infinity;
  for (let bpm = minBpm; bpm <= maxBpm + 1e-9; bpm += STEP) {
    const s = score(bpm);
    if (s > bestScore) {
      bestScore = s;
      best = bpm;
    }
  }
  if (!Number.isFinite(bestScore)) return null;
  best = refine(score, best, minBpm, maxBpm);
  // z > 0: the faster of `slow` and `factor` × `slow` is the beat (its beats all there: the
  // envelope repeats at each fraction of the slow period nearly as strongly as at the whole).
  const decide = (slow: number, factor = 2): number => {
    const period = (60 * rate) / slow;
    let q = Infinity;
    // The faster tempo's beats inside the slow period: at 1/2, at 1/3 and 2/3, or (×3/2) at 2/3.
    for (let k = 1; k < Math.ceil(factor); k++) q = Math.min(q, Math.max(0, at((k * period) / factor)));
    q /= Math.max(1e-6, at(period));
    return q - params.threshold - params.slope * Math.log2((factor * slow) / params.centre);
  };
  let margin = Infinity;
  let moved = false;
  for (;;) {
    const z2 = best * 2 <= maxBpm ? decide(best) : -Infinity;
    // A click track's comb fits a third of its tempo as well as the tempo (every third beat).
    const z3 = best * 3 <= maxBpm ? decide(best, 3) : -Infinity;
    if (Number.isFinite(z2)) margin = Math.min(margin, Math.abs(z2));
    if (z2 > 0) best = refine(score, best * 2, minBpm, maxBpm);
    else if (z3 > 0) best = refine(score, best * 3, minBpm, maxBpm);
    // An arpeggio of three notes in eighths repeats every three eighths: two thirds of the tempo.
    else if (best * 1.5 <= maxBpm && decide(best, 1.5) > 0) best = refine(score, best * 1.5, minBpm, maxBpm);
    else break;
    moved = true;
  }
  while (!moved && best / 2 >= minBpm) {
    const z = decide(best / 2);
    margin = Math.min(margin, Math.abs(z));
    if (z > 0) break;
    best = refine(score, best / 2, minBpm, maxBpm);
  }
  return { bpm: best, salience: score(best), margin: Number.isFinite(margin) ? margin : 1 };
}

/** Climbs to the comb's local maximum from a grid point, then interpolates the peak (parabola). */
function refine(score: (bpm: number) => number, bpm: number, minBpm: number, maxBpm: number): number {
  let b = Math.min(maxBpm, Math.max(minBpm, bpm));
  for (let i = 0; i < 200; i++) {
    if (b + STEP <= maxBpm && score(b + STEP) > score(b)) b += STEP;
    else if (b - STEP >= minBpm && score(b - STEP) > score(b)) b -= STEP;
    else break;
  }
  const l = score(b - STEP);
  const c = score(b);
  const r = score(b + STEP);
  const d = l - 2 * c + r;
  const offset = d < 0 ? (0.5 * (l - r)) / d : 0;
  return Math.min(maxBpm, Math.max(minBpm, b + Math.max(-0.5, Math.min(0.5, offset)) * STEP));
}
