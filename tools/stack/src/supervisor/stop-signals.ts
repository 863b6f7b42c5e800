/** Options of {@link stopSignalHandler}. */
export interface StopSignalOptions {
  /** The first signal: stop cleanly. */
  readonly onFirst: (signal: NodeJS.Signals) => void;
  /** A later one: the user insists, exit at once. */
  readonly onSecond: (signal: NodeJS.Signals) => void;
  /** Signals this soon after the first are copies of it; default 1 000 ms. */
  readonly sameWithinMs?: number;
  /** The clock; tests replace it. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A SIGINT/SIGTERM handler that tells a second Ctrl-C from copies of the
 * first. A terminal's Ctrl-C reaches npm, the stack CLI and `npm start` at
 * once, and npm and the CLI each pass it on, so one key press arrives two or
 * three times within milliseconds; only a signal after `sameWithinMs` is the
 * user pressing again.
 */
export function stopSignalHandler(options: StopSignalOptions): (signal: NodeJS.Signals) => void {
  const sameWithinMs = options.sameWithinMs ?? 1_000;
  const now = options.now ?? Date.now;
  let first: number | undefined;
  let second = false;
  return (signal) => {
    const at = now();
    if (first === undefined) {
      first = at;
      options.onFirst(signal);
    } else if (!second && at - first >= sameWithinMs) {
      second = true;
      options.onSecond(signal);
    }
  };
}
