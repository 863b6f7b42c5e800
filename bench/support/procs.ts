// Tonegraph's processes for the benchmarks, started by the e2e harness
// (@tonegraph/e2e/proc) and stopped together at the end, and readings of
// their memory, CPU time and the machine's load.
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { startProc as start, type Proc } from '@tonegraph/e2e/proc';

export { graphqlOk, httpOk, type Proc } from '@tonegraph/e2e/proc';

/** Every process started here and not stopped yet, in start order. */
const running: Proc[] = [];

/**
 * Starts `entry` (relative to the repository) with `env` on top of ours and
 * waits (60 s at most) until `ready()` says yes. `nodeArgs` go before the
 * entry (e.g. `--cpu-prof`).
 */
export async function startProc(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  nodeArgs: readonly string[] = [],
): Promise<Proc> {
  const proc = await start(name, entry, { ...process.env, LOG_LEVEL: 'warn', ...env }, ready, {
    nodeArgs,
    readyTimeoutMs: 60_000,
  });
  running.push(proc);
  return proc;
}

/** Stops one process (SIGTERM, SIGKILL after 20 s) and waits for it to exit. */
export async function stopProc(proc: Proc): Promise<void> {
  await proc.stop();
  if (running.includes(proc)) running.splice(running.indexOf(proc), 1);
}

/** Stops every process started here, the last first. */
export async function stopAll(): Promise<void> {
  for (const proc of [...running].reverse()) await stopProc(proc);
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
