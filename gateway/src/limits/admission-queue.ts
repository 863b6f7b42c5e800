/** Why a caller was refused: the queue was full, it waited too long, or could not be served in time. */
export type ShedReason = 'queue_full' | 'waited' | 'deadline' | 'expected_wait';

/** A caller refused admission; it should try again after `retryAfter` s. */
export class Shed extends Error {
  readonly reason: ShedReason;
  readonly retryAfter: number;
  constructor(reason: ShedReason, retryAfter: number) {
    super(`shed (${reason})`);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }
}

export interface AdmissionQueueOptions {
  /** Callers admitted at once, at most; more wait in the queue. */
  readonly maxConcurrent: number;
  /** Callers waiting, at most; one more is shed at once. */
  readonly maxQueue: number;
  /**
   * Longest a caller waits, in ms; one that would wait longer at the current
   * pace is shed at once. 0: only its deadline bounds the wait.
   */
  readonly maxWaitMs: number;
  /** Called with +1 when a caller starts waiting and -1 when it stops. */
  readonly onQueued?: (delta: 1 | -1) => void;
}

export interface Admission {
  /** A `performance.now()` time the caller's answer is worthless after. */
  readonly deadline?: number | undefined;
  /** Aborting it while queued leaves the queue (the promise rejects with the signal's reason). */
  readonly signal?: AbortSignal | undefined;
}

export interface AdmissionQueue {
  /**
   * Resolves once admitted, with the function to call when done (exactly
   * once); rejects with {@link Shed}, or with the signal's reason when the
   * caller leaves while queued.
   */
  enter(admission?: Admission): Promise<() => void>;
  /** Why a caller arriving now would be shed at once (full queue, too long a wait), if it would. */
  refusal(): Shed | undefined;
  readonly active: number;
  readonly queued: number;
}

interface Waiter {
  readonly deadline: number | undefined;
  readonly admit: () => void;
  readonly shed: (reason: ShedReason) => void;
}

/**
 * Bounded concurrency with a bounded FIFO queue, shedding what cannot be
 * served in time instead of letting a backlog grow that everyone times out
 * in. Shed when the queue is full (`queue_full`), when the wait at the
 * current pace would exceed `maxWaitMs` (`expected_wait`) or it did
 * (`waited`), or when the caller's deadline leaves less time than the queue
 * ahead and one usual service time (`deadline`). The pace is a moving
 * average of the time between admission and release.
 */
export function createAdmissionQueue(options: AdmissionQueueOptions): AdmissionQueue {
  const { maxConcurrent, maxQueue, maxWaitMs, onQueued } = options;
  const queue = new Set<Waiter>();
  let active = 0;
  /** Moving average of the time from admission to release, in ms. */
  let serviceMs = 50;

  /** Seconds until the queue ahead has drained at the current pace, at least 1. */
  const retryAfter = () => Math.max(1, Math.ceil((((queue.size + 1) / maxConcurrent) * serviceMs) / 1000));
  const waitMs = (ahead: number) => Math.floor(ahead / maxConcurrent) * serviceMs;

  const release = () => {
    let released = false;
    const start = performance.now();
    return () => {
      if (released) return;
      released = true;
      serviceMs = serviceMs * 0.8 + (performance.now() - start) * 0.2;
      active--;
      next();
    };
  };

  const next = () => {
    for (const waiter of queue) {
      if (active >= maxConcurrent) return;
      queue.delete(waiter);
      onQueued?.(-1);
      if (waiter.deadline !== undefined && waiter.deadline - performance.now() < serviceMs) {
        waiter.shed('deadline');
        continue;
      }
      // Counted here, not when the waiter resumes: the loop must see the slot taken.
      active++;
      waiter.admit();
    }
  };

  const refusal = (): Shed | undefined => {
    if (active < maxConcurrent && queue.size === 0) return undefined;
    if (queue.size >= maxQueue) return new Shed('queue_full', retryAfter());
    if (maxWaitMs > 0 && waitMs(queue.size) > maxWaitMs) return new Shed('expected_wait', retryAfter());
    return undefined;
  };

  return {
    get active() {
      return active;
    },
    get queued() {
      return queue.size;
    },
    refusal,
    async enter({ deadline, signal } = {}) {
      if (active < maxConcurrent && queue.size === 0) {
        active++;
        return release();
      }
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
      const refused = refusal();
      if (refused) throw refused;
      const refuse = (reason: ShedReason) => new Shed(reason, retryAfter());
      const wait = waitMs(queue.size);
      if (deadline !== undefined && deadline - performance.now() < wait + serviceMs) throw refuse('deadline');
      await new Promise<void>((resolve, reject) => {
        const timer =
          maxWaitMs > 0
            ? setTimeout(() => {
                if (!queue.delete(waiter)) return;
                onQueued?.(-1);
                waiter.shed('waited');
              }, maxWaitMs)
            : undefined;
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          if (!queue.delete(waiter)) return;
          onQueued?.(-1);
          done();
          reject(signal!.reason instanceof Error ? signal!.reason : new Error('cancelled while queued'));
        };
        const waiter: Waiter = {
          deadline,
          admit: () => {
            done();
            resolve();
          },
          shed: (reason) => {
            done();
            reject(refuse(reason));
          },
        };
        queue.add(waiter);
        onQueued?.(1);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      return release();
    },
  };
}
