/**
 * When a supervised service exits unexpectedly: restart it after a back-off,
 * or give up because it keeps failing. Pure, so that the decision is tested
 * without starting anything (the model is BullMQ's backoffs.ts).
 */

/** How hard `npm start` tries before it gives up on a service. */
export interface RestartPolicy {
  /** Failures of one service within `windowMs` that make the supervisor give up; default 5. */
  readonly maxFailures: number;
  /** The window failures are counted in; default 60 000 ms. Older failures are forgotten. */
  readonly windowMs: number;
  /** Wait before the first restart; doubled for every further failure in the window. Default 500 ms. */
  readonly initialDelayMs: number;
  /** The longest wait before a restart; default 15 000 ms. */
  readonly maxDelayMs: number;
}

export const defaultRestartPolicy: RestartPolicy = Object.freeze({
  maxFailures: 5,
  windowMs: 60_000,
  initialDelayMs: 500,
  maxDelayMs: 15_000,
});

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly failures: number }
  | { readonly restart: false; readonly failures: number };

/** The failures of `times` (epoch ms, any order) that fall within the window ending at `now`. */
export function recentFailures(times: readonly number[], now: number, windowMs: number): number[] {
  return times.filter((t) => t <= now && now - t < windowMs).sort((a, b) => a - b);
}

/**
 * Decides what follows a failure at `now`, given every failure time of the
 * service so far (including this one). Gives up once `maxFailures` fall
 * within the window; otherwise restarts after
 * `initialDelayMs × 2^(failures in the window − 1)`, at most `maxDelayMs`,
 * so a service that ran well for a while restarts at once again.
 */
export function decideRestart(
  times: readonly number[],
  now: number,
  policy: RestartPolicy = defaultRestartPolicy,
): RestartDecision {
  const failures = Math.max(1, recentFailures(times, now, policy.windowMs).length);
  if (failures >= policy.maxFailures) return { restart: false, failures };
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (failures - 1));
  return { restart: true, delayMs, failures };
}

/** Fills in the defaults and rejects values that would never restart or never give up. */
export function resolveRestartPolicy(overrides: Partial<RestartPolicy> = {}): RestartPolicy {
  const policy = { ...defaultRestartPolicy, ...overrides };
  const bad: string[] = [];
  if (!Number.isInteger(policy.maxFailures) || policy.maxFailures < 1) bad.push('maxFailures must be ≥ 1');
  if (!(policy.windowMs > 0)) bad.push('windowMs must be > 0');
  if (!(policy.initialDelayMs >= 0)) bad.push('initialDelayMs must be ≥ 0');
  if (!(policy.maxDelayMs >= policy.initialDelayMs)) bad.push('maxDelayMs must be ≥ initialDelayMs');
  if (bad.length > 0) throw new RangeError(`invalid restart policy: ${bad.join('; ')}`);
  return Object.freeze(policy);
}
