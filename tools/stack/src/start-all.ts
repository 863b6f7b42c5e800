// `npm start`: runs every Tonegraph service that exists in the workspace
// (subgraphs first, then the gateway, then ingest) as child processes with
// their output prefixed, against the stack's URLs. Stops them all, in
// reverse order, on SIGINT/SIGTERM or when one of them dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './config.ts';
import { exists } from './fs-util.ts';

interface Entry {
  readonly name: string;
  readonly main: string;
}

async function entries(): Promise<Entry[]> {
  const subgraphs = (await readdir(path.join(repoRoot, 'subgraphs')).catch(() => [] as string[])).sort();
  const candidates = [
    ...subgraphs.map((name) => ({ name, main: path.join(repoRoot, 'subgraphs', name, 'src', 'index.ts') })),
    { name: 'gateway', main: path.join(repoRoot, 'gateway', 'src', 'index.ts') },
    { name: 'ingest', main: path.join(repoRoot, 'ingest', 'src', 'index.ts') },
  ];
  const found: Entry[] = [];
  for (const c of candidates) if (await exists(c.main)) found.push(c);
  return found;
}

function prefix(child: ChildProcess, name: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) =>
      process.stdout.write(`${name.padEnd(14)}| ${line}\n`),
    );
  }
}

const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const { child } of [...children].reverse()) child.kill('SIGTERM');
  process.exitCode = code;
}

const found = await entries();
if (found.length === 0) {
  process.stdout.write('start: the stack is up; no Tonegraph service exists in this checkout yet\n');
} else {
  // One PORT/HOST for every service would make them collide: each uses its own default.
  const { PORT: _port, HOST: _host, ...env } = process.env;
  // The gateway signs its subgraph requests with a secret they share; one per run unless .env sets it.
  env.SUBGRAPH_SECRET ??= randomBytes(32).toString('hex');
  for (const { name, main } of found) {
    // Own process group: a terminal's Ctrl-C reaches only this runner, which
    // then sends each service one SIGTERM (a second signal means "exit now").
    const child = spawn(process.execPath, [main], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    children.push({ name, child });
    prefix(child, name);
    child.on('exit', (code, signal) => {
      process.stdout.write(`${name.padEnd(14)}| exited (${signal ?? code})\n`);
      if (!stopping) stopAll(code === 0 ? 0 : 1);
    });
  }
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
}
