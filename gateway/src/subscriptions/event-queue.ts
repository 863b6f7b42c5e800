/**
 * A bounded queue between a push source (the upstream sink) and one puller
 * (the client's iterator). `close()` settles a waiting `pull()` at once: an
 * async generator blocked in `await` could not be stopped until its next
 * event, which for a quiet subscription is never — that would leak the
 * upstream subscription of every client that leaves.
 */
export interface EventQueue<T> {
  push(value: T): void;
  /** Ends the queue after what is buffered, with an error. */
  fail(error: Error): void;
  /** Ends the queue after what is buffered. */
  end(): void;
  /** Ends the queue now, dropping what is buffered. */
  close(): void;
  /** The next value, or `undefined` once ended; throws the `fail` error after the buffer drains. */
  pull(): Promise<T | undefined>;
  /** Values dropped because the buffer was full. */
  readonly dropped: number;
}

/**
 * @param limit buffered values kept at most; beyond it the oldest is dropped,
 * so a slow client gets the newest events (Tonegraph's events are snapshots).
 */
export function createEventQueue<T>(limit: number): EventQueue<T> {
  const buffer: T[] = [];
  let ended = false;
  let failure: Error | undefined;
  let dropped = 0;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(value) {
      if (ended) return;
      if (buffer.length >= limit) {
        buffer.shift();
        dropped++;
      }
      buffer.push(value);
      notify();
    },
    fail(error) {
      if (ended) return;
      failure = error;
      ended = true;
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    close() {
      buffer.length = 0;
      failure = undefined;
      ended = true;
      notify();
    },
    async pull() {
      while (buffer.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      if (buffer.length > 0) return buffer.shift();
      if (failure) throw failure;
      return undefined;
    },
    get dropped() {
      return dropped;
    },
  };
}
