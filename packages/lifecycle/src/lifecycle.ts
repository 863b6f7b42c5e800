import type { Logger } from '@tonegraph/logger';

/** Options for {@link createLifecycle}. */
export interface LifecycleOptions {
  readonly log: Pick<Logger, 'info' | 'error' | 'warn'>;
  /** Time allowed for all cleanups before the process is forced out; default 15 000 ms. */
  readonly fuseMs?: number;
  /** Called to end the process; default `process.exit`. Tests replace it. */
  readonly exit?: (code: number) => void;
}

/** Owns the cleanups of one process and runs them, in reverse, on shutdown. */
export interface Lifecycle {
  /** Registers a cleanup; call right after the resource it undoes is created. */
  defer(name: string, cleanup: () => unknown): void;
  /**
   * Runs every cleanup in reverse order of registration, each once, even
   * when an earlier one fails. Idempotent: later calls return the same promise.
   * Resolves to true when every cleanup succeeded.
   */
  close(): Promise<boolean>;
  /** Closes on SIGTERM/SIGINT, exits on a second signal, arms the fuse. */
  handleSignals(): void;
}

export function createLifecycle({
  log,
  fuseMs = 15_000,
  exit = (code) => process.exit(code),
}: LifecycleOptions): Lifecycle {
  const cleanups: { name: string; run: () => unknown }[] = [];
  let closing: Promise<boolean> | undefined;

  const runAll = async (): Promise<boolean> => {
    let ok = true;
    for (const { name, run } of cleanups.splice(0).reverse()) {
      try {
        await run();
      } catch (error) {
        ok = false;
        log.error({ err: error, cleanup: name }, 'cleanup failed');
      }
    }
    return ok;
  };

  const lifecycle: Lifecycle = {
    defer(name, run) {
      if (closing) throw new Error(`cannot register cleanup "${name}" while shutting down`);
      cleanups.push({ name, run });
    },
    close() {
      closing ??= runAll();
      return closing;
    },
    handleSignals() {
      const onSignal = (signal: NodeJS.Signals) => {
        if (closing) {
          log.warn({ signal }, 'second signal, exiting now');
          exit(130);
          return;
        }
        log.info({ signal }, 'shutting down');
        // The fuse must not keep the process alive once cleanups finish.
        setTimeout(() => {
          log.error({ fuseMs }, 'shutdown took too long, forcing exit');
          exit(1);
        }, fuseMs).unref();
        void lifecycle.close().then((ok) => exit(ok ? 0 : 1));
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
  };
  return lifecycle;
}
