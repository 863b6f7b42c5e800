import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { decideRestart, resolveRestartPolicy, type RestartPolicy } from './restart-policy.ts';

/** One process the supervisor keeps running. */
export interface ServiceSpec {
  /** Prefixes its output and names it in every message. */
  readonly name: string;
  /** The program; default the running node. */
  readonly command?: string;
  readonly args: readonly string[];
  /** Default: the supervisor's own environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Answers 2xx once the service is ready; without one it counts as ready once started. */
  readonly readyUrl?: string;
}

/** Options of {@link startSupervisor}. */
export interface SupervisorOptions {
  /** Started together; stopped one after another in reverse order. */
  readonly services: readonly ServiceSpec[];
  /** When to restart and when to give up; defaults in `defaultRestartPolicy`. */
  readonly policy?: Partial<RestartPolicy>;
  /** Lines of a service's output repeated when it exits; default 20. */
  readonly tailLines?: number;
  /** Time a service has to exit after SIGTERM before its process group gets SIGKILL; default 20 000 ms. */
  readonly stopGraceMs?: number;
  /** Time between two ready checks of a starting service; default 250 ms. */
  readonly readyPollMs?: number;
  /** Receives every output line (services' prefixed with their name, the supervisor's with `start:`); default stdout. */
  readonly write?: (line: string) => void;
}

/** How a supervised run ended. */
export type SupervisorOutcome =
  | { readonly kind: 'stopped' }
  | {
      readonly kind: 'gave-up';
      readonly service: string;
      readonly failures: number;
      readonly message: string;
    };

export interface Supervisor {
  /** True once every service has been ready at least once; false when the run ended first. */
  readonly ready: Promise<boolean>;
  /** Settles once every process has exited, after {@link Supervisor.stop} or after giving up. */
  readonly done: Promise<SupervisorOutcome>;
  /** The pid of a service's current process, if it runs. */
  pid(name: string): number | undefined;
  /** How many times a service has been started. */
  starts(name: string): number;
  /** SIGTERM to each service in reverse order, waiting for each. Idempotent: the same promise. */
  stop(): Promise<SupervisorOutcome>;
  /** SIGKILL to every service's process group at once (a second Ctrl-C). */
  kill(): void;
}

interface Running {
  readonly spec: ServiceSpec;
  child?: ChildProcess;
  exited?: Promise<unknown>;
  starts: number;
  startedAt: number;
  ready: boolean;
  readonly failures: number[];
  readonly tail: string[];
  timer?: NodeJS.Timeout | undefined;
}

const isAlive = (child: ChildProcess | undefined): child is ChildProcess =>
  child !== undefined && child.exitCode === null && child.signalCode === null;

const describeExit = (code: number | null, signal: NodeJS.Signals | null) =>
  signal ? `signal ${signal}` : `code ${code ?? '?'}`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * Starts every service as a child process in its own process group (so a
 * terminal's Ctrl-C reaches only the supervisor, which then stops them in
 * order) and restarts one that exits unexpectedly, with the back-off of
 * `policy`; gives up, stopping the others, once one keeps failing.
 */
export function startSupervisor(options: SupervisorOptions): Supervisor {
  const policy = resolveRestartPolicy(options.policy);
  const tailLines = options.tailLines ?? 20;
  const graceMs = options.stopGraceMs ?? 20_000;
  const pollMs = options.readyPollMs ?? 250;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const say = (line: string) => write(`start: ${line}`);
  const width = Math.max(14, ...options.services.map((s) => s.name.length + 1));
  const services: Running[] = options.services.map((spec) => ({
    spec,
    starts: 0,
    startedAt: 0,
    ready: false,
    failures: [],
    tail: [],
  }));

  let stopping: Promise<SupervisorOutcome> | undefined;
  let outcome: SupervisorOutcome = { kind: 'stopped' };
  let resolveReady!: (ready: boolean) => void;
  const ready = new Promise<boolean>((resolve) => (resolveReady = resolve));
  let resolveDone!: (outcome: SupervisorOutcome) => void;
  const done = new Promise<SupervisorOutcome>((resolve) => (resolveDone = resolve));

  function launch(s: Running): void {
    const child = spawn(s.spec.command ?? process.execPath, [...s.spec.args], {
      env: s.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    s.child = child;
    s.starts += 1;
    s.startedAt = Date.now();
    s.tail.length = 0;
    s.exited = new Promise((resolve) => child.once('close', resolve));
    if (child.pid !== undefined) say(`${s.spec.name} started (pid ${child.pid})`);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        s.tail.push(line);
        if (s.tail.length > tailLines) s.tail.shift();
        write(`${s.spec.name.padEnd(width)}| ${line}`);
      });
    }
    // 'close' follows 'exit' once the output is read, so the tail is complete.
    child.once('close', (code, signal) => onExit(s, child, code, signal));
    child.once('error', (error) => {
      s.tail.push(`cannot start: ${error.message}`);
    });
    void watchReady(s, child);
  }

  async function watchReady(s: Running, child: ChildProcess): Promise<void> {
    const url = s.spec.readyUrl;
    while (url && isAlive(child) && !stopping) {
      const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(pollMs);
    }
    if (!isAlive(child) || stopping || s.child !== child) return;
    if (s.starts > 1) say(`${s.spec.name} is ready again (pid ${child.pid}, start ${s.starts})`);
    s.ready = true;
    if (services.every((x) => x.ready)) resolveReady(true);
  }

  function onExit(s: Running, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.child !== child) return;
    if (stopping) {
      say(`${s.spec.name} stopped (${describeExit(code, signal)})`);
      return;
    }
    const now = Date.now();
    s.failures.push(now);
    say(
      `${s.spec.name} exited unexpectedly (${describeExit(code, signal)}) after ${seconds(now - s.startedAt)}; its last lines:`,
    );
    for (const line of s.tail) write(`  ${s.spec.name.padEnd(width)}| ${line}`);
    const decision = decideRestart(s.failures, now, policy);
    if (decision.restart) {
      say(
        `restarting ${s.spec.name} in ${seconds(decision.delayMs)} (failure ${decision.failures} of ${policy.maxFailures} allowed within ${seconds(policy.windowMs)})`,
      );
      s.timer = setTimeout(() => {
        s.timer = undefined;
        if (!stopping) launch(s);
      }, decision.delayMs);
      return;
    }
    const message = `giving up: ${s.spec.name} failed ${decision.failures} times within ${seconds(policy.windowMs)} (last: ${describeExit(code, signal)}); stopping the other services`;
    outcome = { kind: 'gave-up', service: s.spec.name, failures: decision.failures, message };
    say(message);
    void stop();
  }

  async function stopOne(s: Running): Promise<void> {
    const child = s.child;
    if (!isAlive(child)) return;
    child.kill('SIGTERM');
    const fuse = setTimeout(() => {
      say(`${s.spec.name} did not stop within ${seconds(graceMs)}; killing it`);
      killGroup(child);
    }, graceMs);
    await s.exited;
    clearTimeout(fuse);
  }

  function stop(): Promise<SupervisorOutcome> {
    stopping ??= (async () => {
      resolveReady(false);
      for (const s of services) clearTimeout(s.timer);
      for (const s of [...services].reverse()) await stopOne(s);
      resolveDone(outcome);
      return outcome;
    })();
    return stopping;
  }

  for (const s of services) launch(s);

  return {
    ready,
    done,
    pid: (name) => services.find((s) => s.spec.name === name)?.child?.pid,
    starts: (name) => services.find((s) => s.spec.name === name)?.starts ?? 0,
    stop,
    kill() {
      for (const s of services) if (isAlive(s.child)) killGroup(s.child);
    },
  };
}

/** The service's own children (decoders, workers) go with it. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
