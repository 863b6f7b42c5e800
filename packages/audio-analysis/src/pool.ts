import os from 'node:os';
import { Piscina } from 'piscina';
import {
  AnalysisQueueFullError,
  AnalysisTimeoutError,
  AnalysisWorkerError,
  UndecodableAudioError,
} from './errors.ts';
import type { AnalysisTask, AnalysisTaskResult, DecoderName } from './analysis.worker.ts';
import type { TempoOptions } from './analysers/tempo.ts';
import type { TrackAnalysis } from './types.ts';

export interface AnalysisPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  readonly threads?: number;
  /** Tasks allowed to wait for a thread; past it `analyze` rejects with AnalysisQueueFullError. Default threads x 4. */
  readonly maxQueue?: number;
  /** Per-file deadline in ms, decoder killed when it passes; default 120 000. */
  readonly taskTimeoutMs?: number;
  /** Larger files are rejected as UndecodableAudioError without decoding; default 2 GiB. */
  readonly maxFileBytes?: number;
  /** Longer audio is rejected as UndecodableAudioError; default 4 hours. */
  readonly maxDurationSeconds?: number;
  /** Per-worker V8 limits; a worker exceeding them dies and its task rejects with AnalysisWorkerError. */
  readonly resourceLimits?: { readonly maxOldGenerationSizeMb?: number };
  /** Tempo search range; default 50–220 BPM. */
  readonly tempo?: TempoOptions;
  /**
   * `hybrid` reads WAV/AIFF directly and sends everything else to the thread's long-lived
   * tonegraph-decoder process (without that binary: short FLAC, Ogg Vorbis and Opus files to WASM
   * codecs in the worker, the rest to ffmpeg); `libav` sends every file to the decoder process;
   * `ffmpeg` starts the ffmpeg command line for every file; `wasm` (the benchmark's comparison)
   * uses the WASM codecs by extension. See ingest/README.md, "Decoder choice". Default `hybrid`.
   */
  readonly decoder?: DecoderName;
  /** Benchmark baseline: decode each file whole into memory before analysing. Default false. */
  readonly wholeFile?: boolean;
}

export interface AnalysisPool {
  /** Analyses one file in a worker. Rejects with UndecodableAudioError, AnalysisTimeoutError, AnalysisWorkerError, AnalysisQueueFullError or the signal's reason. */
  analyze(path: string, options?: { signal?: AbortSignal }): Promise<TrackAnalysis>;
  /** Refuses tasks still waiting, lets running ones finish, then stops the threads; idempotent. */
  close(): Promise<void>;
}

/**
 * How long past its own deadline a task may run before the pool gives up
 * on the worker and terminates it: the worker normally times out first
 * (killing its ffmpeg), but a worker stuck in CPU work cannot notice.
 */
const HARD_DEADLINE_GRACE_MS = 5_000;

/** A Piscina pool running `analyzeFile` in worker threads (analysis.worker.ts). */
export function createAnalysisPool(options: AnalysisPoolOptions = {}): AnalysisPool {
  const threads = options.threads ?? os.availableParallelism();
  const taskTimeoutMs = options.taskTimeoutMs ?? 120_000;
  const piscina = new Piscina<AnalysisTask, AnalysisTaskResult>({
    filename: new URL('./analysis.worker.ts', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    // Piscina does not count tasks that carry an AbortSignal (all of ours) against its maxQueue,
    // so the bound is enforced below.
    resourceLimits: options.resourceLimits,
    // One CPU-bound file per thread at a time.
    concurrentTasksPerWorker: 1,
  });
  const maxQueue = options.maxQueue ?? threads * 4;
  let inFlight = 0;
  let running = 0;
  // Tasks wait here rather than in Piscina so that their deadline starts when they run.
  const waiting: { grant: () => void; refuse: (reason: unknown) => void }[] = [];
  let closing: Promise<void> | undefined;
  const active = new Set<Promise<unknown>>();

  async function slot(signal: AbortSignal | undefined): Promise<void> {
    if (running < threads) {
      running++;
      return;
    }
    signal?.throwIfAborted();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const onAbort = () => {
      waiting.splice(waiting.indexOf(entry), 1);
      reject(signal!.reason);
    };
    const entry = {
      grant: () => {
        signal?.removeEventListener('abort', onAbort);
        running++;
        resolve();
      },
      refuse: (reason: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        reject(reason);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(entry);
    return promise;
  }

  function release(): void {
    running--;
    waiting.shift()?.grant();
  }

  async function analyze(path: string, { signal }: { signal?: AbortSignal } = {}): Promise<TrackAnalysis> {
    if (closing) throw new Error('analysis pool is closed');
    if (inFlight >= threads + maxQueue) {
      throw new AnalysisQueueFullError(`analysis queue is full (${inFlight - threads} waiting)`);
    }
    inFlight++;
    try {
      await slot(signal);
      const task = run(path, signal);
      active.add(task);
      try {
        return await task;
      } finally {
        active.delete(task);
        release();
      }
    } finally {
      inFlight--;
    }
  }

  async function run(path: string, signal: AbortSignal | undefined): Promise<TrackAnalysis> {
    const deadline = AbortSignal.timeout(taskTimeoutMs + HARD_DEADLINE_GRACE_MS);
    const task: AnalysisTask = {
      path,
      timeoutMs: taskTimeoutMs,
      maxFileBytes: options.maxFileBytes ?? 2 ** 31,
      maxDurationSeconds: options.maxDurationSeconds ?? 4 * 3600,
      tempo: options.tempo,
      decoder: options.decoder ?? 'hybrid',
      wholeFile: options.wholeFile ?? false,
    };
    let result: AnalysisTaskResult;
    try {
      // Aborting a running Piscina task terminates its worker; ffmpeg then dies on its broken pipe.
      result = await piscina.run(task, { signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) throw new AnalysisTimeoutError(path, taskTimeoutMs, { cause: error });
      const e = error as NodeJS.ErrnoException;
      if (e.message === 'Task queue is at limit' || e.message.startsWith('No task queue available')) {
        throw new AnalysisQueueFullError(`analysis queue is full (${piscina.queueSize} waiting)`, {
          cause: error,
        });
      }
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new AnalysisWorkerError(
          path,
          `out of memory (resourceLimits.maxOldGenerationSizeMb = ${options.resourceLimits?.maxOldGenerationSizeMb ?? 'default'})`,
          e.code,
          { cause: error },
        );
      }
      if (e.message.startsWith('worker exited') || e.code?.startsWith('ERR_WORKER')) {
        throw new AnalysisWorkerError(path, e.message, e.code, { cause: error });
      }
      throw error;
    }
    if (result.ok) return result.analysis;
    if (result.kind === 'timeout') throw new AnalysisTimeoutError(path, taskTimeoutMs);
    throw new UndecodableAudioError(path, result.reason);
  }

  return {
    analyze,
    close: () => {
      if (!closing) {
        // Waiting tasks never started: refuse them rather than run them on a closing pool.
        for (const entry of waiting.splice(0)) entry.refuse(new Error('analysis pool is closed'));
        // Piscina's own close() never resolves once a task was aborted during it (it waits for a
        // "task done" from the terminated worker), so let the running tasks settle, then destroy.
        closing = Promise.allSettled(active).then(() => piscina.destroy());
      }
      return closing;
    },
  };
}
