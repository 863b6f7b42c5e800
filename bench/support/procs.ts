// Starting Tonegraph's processes for the benchmarks, each on a free port, as
// `npm start` runs them, and reading their memory and the machine's load.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const repo = path.resolve(import.meta.dirname, '../..');

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines it wrote, for failure messages. */
  tail(): string;
}

const procs: Proc[] = [];

/**
 * Starts `entry` (relative to the repository) with `env` on top of ours and
 * waits until `ready()` says yes. `nodeArgs` go before the entry (e.g. `--cpu-prof`).
 */
export async function startProc(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  nodeArgs: readonly string[] = [],
): Promise<Proc> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(repo, entry)], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const proc: Proc = { name, child, tail: () => log };
  procs.push(proc);
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${log}`);
    if (await ready().catch(() => false)) return proc;
    if (i > 600) throw new Error(`${name} not ready within 60 s:\n${log}`);
    await sleep(100);
  }
}

/** True when GET `url` answers 2xx. */
export const httpOk = (url: string) => () =>
  fetch(url).then(
    (r) => r.ok,
    () => false,
  );

/** True when `{ __typename }` POSTed to a GraphQL endpoint answers 200. */
export const graphqlOk = (url: string) => () =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query":"{ __typename }"}',
  }).then(
    (r) => r.ok,
    () => false,
  );

/** Stops one process (SIGTERM, SIGKILL after 20 s) and waits for it to exit. */
export async function stopProc(proc: Proc): Promise<void> {
  const { child } = proc;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  procs.splice(procs.indexOf(proc), 1);
}

/** Stops every process started here, the last first. */
export async function stopAll(): Promise<void> {
  for (const proc of [...procs].reverse()) await stopProc(proc);
}

/** Resident memory of a process, MiB. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU seconds (user + system) a process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime at 100 ticks/s
}

/**
 * CPU seconds used so far by every process of the machine, summed by the
 * first component whose pattern matches its command line (`this process`
 * for the benchmark itself, `other` for the rest). Two readings around a
 * phase say which process spent the machine's CPU on it.
 */
export async function cpuByComponent(
  components: Readonly<Record<string, RegExp>>,
): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const [cmdline, seconds] = await Promise.all([
        readFile(`/proc/${entry}/cmdline`, 'utf8'),
        cpuSeconds(Number(entry)),
      ]);
      const command = cmdline.replaceAll('\0', ' ');
      const name =
        Number(entry) === process.pid
          ? 'this process'
          : (Object.entries(components).find(([, pattern]) => pattern.test(command))?.[0] ?? 'other');
      totals.set(name, (totals.get(name) ?? 0) + seconds);
    } catch {
      // the process ended meanwhile
    }
  }
  return totals;
}

/** The 1-minute load average, formatted. */
export const load1 = () => os.loadavg()[0]!.toFixed(1);
