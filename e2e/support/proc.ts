// One Tonegraph process as a child of the test or benchmark: started with
// `node <entry>` as `npm start` runs it, ready once a probe says so, its last
// output kept for failure messages (and, when asked, all of it in a file).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@tonegraph/testing';

/** The repository's root: entries are given relative to it. */
export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** One running process. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last 4,000 characters it wrote, for failure messages. */
  tail(): string;
  /** SIGTERM, SIGKILL after 20 s; resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Arguments for node before the entry (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /** Also write everything the process prints to this file. */
  readonly logFile?: string;
  /** How long `ready` may take. Default 90 s. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts `entry` (relative to the repository) with exactly `env` and waits
 * until `ready(child)` resolves true (a probe that throws counts as "not
 * yet"). Fails at once, with its output, if the process exits first.
 */
export async function startProc(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  ready: (child: ChildProcess) => Promise<boolean>,
  options: StartOptions = {},
): Promise<Proc> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (options.logFile) {
    await mkdir(path.dirname(options.logFile), { recursive: true });
    const file = createWriteStream(options.logFile);
    child.stdout.pipe(file);
    child.stderr.pipe(file);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const proc: Proc = {
    name,
    child,
    tail: () => log,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const fuse = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(fuse);
      })()),
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${name} exited ${child.exitCode ?? child.signalCode}:\n${log}`);
        return ready(child).catch(() => false);
      },
      { timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 100, what: () => `${name} ready:\n${log}` },
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return proc;
}

/** The environment of this process without PORT and HOST, which would make every service take the same. */
export function inheritedEnv(): NodeJS.ProcessEnv {
  const { PORT: _port, HOST: _host, ...inherited } = process.env;
  return inherited;
}

/** True when GET `url` answers 2xx within 2 s. */
export const httpOk = (url: string) => async () =>
  (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

/**
 * True when `{ __typename }` POSTed to a GraphQL endpoint answers 2xx within
 * 2 s; `headers` e.g. sign it for a subgraph that refuses unsigned requests.
 */
export const graphqlOk =
  (url: string, headers: Record<string, string> = {}) =>
  async () =>
    (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"query":"{ __typename }"}',
        signal: AbortSignal.timeout(2000),
      })
    ).ok;

/**
 * Inodes of the TCP sockets whose local (or, with `remote`, remote) port is
 * `port` and whose state is `state` (Linux /proc/net: 0A LISTEN, 01
 * ESTABLISHED).
 */
export async function tcpSockets(
  port: number,
  { state, remote = false }: { state: '0A' | '01'; remote?: boolean },
): Promise<Set<string>> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address and rem_address are ip:port; st is the state; the inode is the 10th field.
      if (f[remote ? 2 : 1]?.endsWith(`:${hex}`) && f[3] === state && f[9]) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** Whether process `pid` holds one of the sockets `inodes` (Linux /proc). */
export async function holdsSocket(pid: number, inodes: ReadonlySet<string>): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode && inodes.has(inode)) return true;
  }
  return false;
}

/** Whether process `pid` holds a listening TCP socket on `port`. */
export const listensOn = async (pid: number, port: number): Promise<boolean> =>
  holdsSocket(pid, await tcpSockets(port, { state: '0A' }));

/** Waits for `child` to exit; resolves to how it ended. */
export async function exitOf(
  child: ChildProcess,
): Promise<{ exitCode: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return { exitCode: child.exitCode, signal: child.signalCode };
  const [exitCode, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return { exitCode, signal };
}
