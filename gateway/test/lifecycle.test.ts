// SIGTERM to a gateway process: /readyz turns 503, a slow request in flight
// still gets its answer, WebSocket clients are closed with 1001, the process exits 0.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { eventually, freePort } from '@tonegraph/testing';
import {
  closeOf,
  composeWithRecorder,
  post,
  startRecorder,
  watch,
  wsClient,
  type Recorder,
} from './support.ts';

const main = fileURLToPath(new URL('../src/index.ts', import.meta.url));
let catalog: Harness;
let recorder: Recorder;
let dir: string;
let supergraphPath: string;

before(async () => {
  catalog = await startCatalog();
  recorder = await startRecorder();
  dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-gateway-'));
  supergraphPath = path.join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, await composeWithRecorder(catalog.url, recorder.url));
});

// Whatever happens in a test (a timeout leaves it pending), no gateway outlives the file.
const children = new Set<ChildProcess>();

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await recorder?.stop();
  await catalog?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Child {
  readonly process: ChildProcess;
  readonly base: string;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

async function startChild(): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    // Only what this gateway needs: auth off on purpose, no Redis, a readiness grace period.
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: supergraphPath,
      TONEGRAPH_ENV: 'development',
      GATEWAY_AUTH: 'off',
      GATEWAY_SHUTDOWN_DELAY_MS: '2000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const base = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited: ${stderr}`);
      return (
        (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.ok ===
        true
      );
    },
    { timeoutMs: 60_000 },
  );
  return { process: child, base, exited };
}

test('SIGTERM during a slow request: not ready at once, the request completes, exit 0', async () => {
  const child = await startChild();
  try {
    assert.equal((await fetch(`${child.base}/readyz`, { signal: AbortSignal.timeout(10_000) })).status, 200);
    const slow = post<{ slow: string }>(`${child.base}/graphql`, { query: '{ slow(ms: 4000) }' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.process.kill('SIGTERM');
    // Not ready from the signal on, while the listener stays open for the shutdown delay.
    let ready: Response | undefined;
    await eventually(
      async () => {
        ready = await fetch(`${child.base}/readyz`, { signal: AbortSignal.timeout(5000) });
        return ready.status === 503;
      },
      { timeoutMs: 2000 },
    );
    assert.deepEqual(await ready?.json(), { status: 'stopping' });
    const answered = await slow;
    assert.equal(answered.status, 200);
    assert.deepEqual(answered.body.data, { slow: 'slept 4000' });
    const [code] = await child.exited;
    assert.equal(code, 0);
  } finally {
    child.process.kill('SIGKILL');
  }
});

test('SIGTERM during a subscription: the client is closed with 1001, exit 0', async () => {
  const [library] = await catalog.database.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Term', '/term') returning id`;
  const [job] = await catalog.database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode, status) values (${library!.id}, 'FULL', 'RUNNING') returning id`;
  const child = await startChild();
  const client = wsClient(`${child.base.replace(/^http/, 'ws')}/graphql`);
  try {
    const closed = closeOf(client);
    const w = watch<{ importProgress: { status: string } }>(
      client,
      `subscription { importProgress(jobId: "${job!.id}") { status } }`,
    );
    await w.until((r) => r.data?.importProgress.status === 'RUNNING');
    child.process.kill('SIGTERM');
    assert.equal((await closed).code, 1001);
    const [code] = await child.exited;
    assert.equal(code, 0);
  } finally {
    await client.dispose();
    child.process.kill('SIGKILL');
  }
});
