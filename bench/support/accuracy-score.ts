// Scores of the accuracy benchmark: MIREX tempo accuracies and the MIREX weighted key score.

/** Accuracy 1: within 4 % of the true tempo. */
export function tempoAccuracy1(estimate: number | null, truth: number): boolean {
  return estimate !== null && Math.abs(estimate - truth) <= 0.04 * truth;
}

/** Accuracy 2: within 4 % of the true tempo or of its double, half, triple or third. */
export function tempoAccuracy2(estimate: number | null, truth: number): boolean {
  return [1, 2, 0.5, 3, 1 / 3].some((f) => tempoAccuracy1(estimate, truth * f));
}

export type Mode = 'major' | 'minor';

export interface KeyGuess {
  readonly tonic: number;
  readonly mode: Mode;
}

/**
 * MIREX key score: 1 exactly right, 0.5 a fifth above or below in the same
 * mode, 0.3 the relative key, 0.2 the parallel key, else 0 (also for no answer).
 */
export function keyScore(guess: KeyGuess | null, truth: KeyGuess): number {
  if (!guess) return 0;
  const up = (n: number) => (truth.tonic + n) % 12;
  if (guess.mode === truth.mode && guess.tonic === truth.tonic) return 1;
  if (guess.mode === truth.mode && (guess.tonic === up(7) || guess.tonic === up(5))) return 0.5;
  if (truth.mode === 'major' && guess.mode === 'minor' && guess.tonic === up(9)) return 0.3;
  if (truth.mode === 'minor' && guess.mode === 'major' && guess.tonic === up(3)) return 0.3;
  if (guess.mode !== truth.mode && guess.tonic === truth.tonic) return 0.2;
  return 0;
}

/** What one estimator said about one piece; null where it gave no answer or has no such estimator. */
export interface Estimate {
  readonly bpm: number | null;
  readonly key: KeyGuess | null;
  readonly tempoConfidence?: number | undefined;
  readonly keyConfidence?: number | undefined;
}

export interface Truth {
  readonly bpm: number;
  readonly tonic: number;
  readonly mode: Mode;
}

/** Per-set summary, shares 0–1; key fields null for an estimator without key detection. */
export interface Summary {
  readonly pieces: number;
  readonly accuracy1: number;
  readonly accuracy2: number;
  readonly keyWeighted: number | null;
  readonly keyExact: number | null;
}

export function summarise(rows: readonly { truth: Truth; estimate: Estimate }[], hasKey: boolean): Summary {
  const n = rows.length || 1;
  const share = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / n;
  return {
    pieces: rows.length,
    accuracy1: share((r) => Number(tempoAccuracy1(r.estimate.bpm, r.truth.bpm))),
    accuracy2: share((r) => Number(tempoAccuracy2(r.estimate.bpm, r.truth.bpm))),
    keyWeighted: hasKey ? share((r) => keyScore(r.estimate.key, r.truth)) : null,
    keyExact: hasKey ? share((r) => Number(keyScore(r.estimate.key, r.truth) === 1)) : null,
  };
}

/**
 * How well a confidence means what it says: of the answers with confidence
 * ≥ `threshold`, the share that is right, and how many there were.
 */
export function calibration(
  rows: readonly { confidence: number | undefined; right: boolean }[],
  threshold = 0.8,
): { answers: number; right: number | null } {
  const sure = rows.filter((r) => r.confidence !== undefined && r.confidence >= threshold);
  return {
    answers: sure.length,
    right: sure.length === 0 ? null : sure.filter((r) => r.right).length / sure.length,
  };
}
