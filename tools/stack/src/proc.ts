import { execFile, spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Thrown when a stack step fails; names the service and the log to read. */
export class StackError extends Error {
  override name = 'StackError';
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs a command to completion and returns its stdout; rejects with its stderr. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, [...args], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      timeout: opts.timeoutMs ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    const detail = (e.stderr || e.stdout || e.message).trim().split('\n').slice(-15).join('\n');
    throw new StackError(`${cmd} ${args.join(' ')} failed:\n${detail}`);
  }
}

/** Starts a long-running server in its own session, output appended to `logFile`; returns its pid. */
export async function spawnDetached(
  cmd: string,
  args: readonly string[],
  logFile: string,
  opts: RunOptions = {},
): Promise<number> {
  const log = await open(logFile, 'a');
  try {
    const child = spawn(cmd, [...args], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}

/** True when a process with this pid exists (and is not a zombie). */
export async function isAlive(pid: number | undefined): Promise<boolean> {
  if (pid === undefined || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(everyMs);
  }
  return false;
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Resolves once the process is gone. */
export async function terminate(pid: number | undefined, graceMs = 20_000): Promise<void> {
  if (!(await isAlive(pid))) return;
  try {
    process.kill(pid!, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitFor(async () => !(await isAlive(pid)), graceMs, 100)) return;
  try {
    process.kill(pid!, 'SIGKILL');
  } catch {
    return;
  }
  await waitFor(async () => !(await isAlive(pid)), 5_000, 100);
}
