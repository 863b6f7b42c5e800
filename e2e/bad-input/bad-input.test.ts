// bad input catalogue: one platform (auth on: API keys with read and admin
// scopes, HS256 JWTs) is fed every kind of bad input we know of — broken,
// huge, unreadable, vanishing and oddly named files; GraphQL bombs, broken
// bodies and frames, bad credentials; hostile library paths; unsigned calls
// to the subgraphs. Each case asserts a clear answer (an ImportError with a
// reason, an error code and status) and that a normal query still answers
// right afterwards; at the end the catalog holds exactly the good files on
// disk and every process is alive and ready.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, opendir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { noise } from '@tonegraph/fixtures';
import { startPlatform, type Platform } from '../support/platform.ts';
import { createCatalogue } from './catalogue.ts';
import { send } from './client.ts';
import {
  authCases,
  httpCases,
  libraryCases,
  subgraphCases,
  wsCases,
  type CaseContext,
  type SubgraphUrls,
} from './graphql-cases.ts';
import { writeBigFolder, writeFilesLibrary, writeRaceLibrary, type FilesLibrary } from './library.ts';

const BIG_ENTRIES = 10_000;
const BIG_AUDIO = 10;
const RACE_FILLERS = 80;
const RACE_VICTIMS = 30;

const ADMIN_KEY = randomBytes(24).toString('hex');
const READ_KEY = randomBytes(24).toString('hex');
const JWT_SECRET = randomBytes(32).toString('hex');

const started = performance.now();
let root: string;
let platform: Platform | undefined;
let files: FilesLibrary;
let big: { dir: string; good: string[] };
let race: Awaited<ReturnType<typeof writeRaceLibrary>> & { dir: string };
/** Good files on disk that must be in the catalog at the end. */
const expectedTracks = new Set<string>();
/** Library name → id, as every check expects `libraries` to answer. */
const libraries = new Map<string, string>();
const jobs: Record<string, { id: string; seconds?: number; plannedSeconds?: number }> = {};
/** The subgraphs' own URLs (read from the gateway's environment). */
let subgraphs: SubgraphUrls | undefined;
const timings: Record<string, number> = {};

const gatewayUrl = () => platform!.gateways[0]!.url;

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const reply = await send(
    gatewayUrl(),
    { query, variables },
    { headers: { authorization: `Bearer ${ADMIN_KEY}` } },
  );
  if (reply.status !== 200 || reply.body?.errors)
    throw new Error(`${reply.status} ${reply.text.slice(0, 300)}`);
  return reply.body!.data as T;
}

/** The normal query every case is followed by: it must answer, and answer right. */
async function healthy(): Promise<void> {
  for (const p of [...platform!.gateways, ...platform!.ingest])
    assert.equal(p.child.exitCode ?? p.child.signalCode, null, `${p.name} exited:\n${p.tail()}`);
  const { libraries: seen } = await gql<{ libraries: { id: string; name: string }[] }>(
    '{ libraries { id name } }',
  );
  assert.deepEqual(
    seen.map((l) => `${l.name}:${l.id}`).sort(),
    [...libraries].map(([name, id]) => `${name}:${id}`).sort(),
    'libraries answer as before',
  );
}

const catalogue = createCatalogue(healthy);

async function addLibrary(dir: string, name: string): Promise<string> {
  const { addLibrary: lib } = await gql<{ addLibrary: { id: string } }>(
    'mutation($p: String!, $n: String!) { addLibrary(path: $p, name: $n) { id } }',
    { p: dir, n: name },
  );
  libraries.set(name, lib.id);
  return lib.id;
}

async function scan(libraryId: string, mode: 'FULL' | 'INCREMENTAL' = 'FULL'): Promise<string> {
  const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
    'mutation($id: ID!, $mode: ScanMode) { scanLibrary(id: $id, mode: $mode) { id } }',
    { id: libraryId, mode },
  );
  return scanLibrary.id;
}

interface Job {
  status: string;
  total: number;
  processed: number;
  failed: number;
  skipped: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  analysis: { total: number; processed: number; failed: number };
  errors: { totalCount: number; edges: { node: { path: string; stage: string; reason: string } }[] };
}

/** Polls a job until it ends; fails when it does not within `timeoutMs` (a hang). */
async function finished(jobId: string, timeoutMs = 200_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { importJob } = await gql<{ importJob: Job }>(
      `query($id: ID!) { importJob(id: $id) { status total processed failed skipped createdAt startedAt finishedAt
        analysis { total processed failed } errors(first: 500) { totalCount edges { node { path stage reason } } } } }`,
      { id: jobId },
    );
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(importJob.status)) return importJob;
    if (Date.now() > deadline)
      throw new Error(
        `job ${jobId} still ${importJob.status} after ${timeoutMs} ms: ${JSON.stringify(importJob).slice(0, 300)}`,
      );
    await sleep(500);
  }
}

/** From the request to the end of a job. */
const seconds = (job: Job) =>
  Number(((Date.parse(job.finishedAt!) - Date.parse(job.createdAt)) / 1000).toFixed(1));

interface TrackRow {
  title: string;
  duration: number | null;
  file: { path: string };
  analysis: { loudness: { integratedLufs: number } | null } | null;
}

async function tracksOf(libraryId: string): Promise<TrackRow[]> {
  const { tracks } = await gql<{ tracks: { totalCount: number; edges: { node: TrackRow }[] } }>(
    `query($lib: ID!) { tracks(first: 500, filter: { libraryId: $lib }) { totalCount
      edges { node { title duration file { path } analysis { loudness { integratedLufs } } } } } }`,
    { lib: libraryId },
  );
  assert.ok(tracks.totalCount <= 500, 'one page holds them');
  return tracks.edges.map((e) => e.node);
}

before(
  async () => {
    root = path.join(await realpath(tmpdir()), `tonegraph-e2e-bad-input-${process.pid}`);
    await rm(root, { recursive: true, force: true });
    const t0 = performance.now();
    files = await writeFilesLibrary(path.join(root, 'files'), path.join(root, 'shortcuts'));
    big = {
      dir: path.join(root, 'big'),
      ...(await writeBigFolder(path.join(root, 'big'), BIG_ENTRIES, BIG_AUDIO)),
    };
    race = {
      dir: path.join(root, 'race'),
      ...(await writeRaceLibrary(path.join(root, 'race'), RACE_FILLERS, RACE_VICTIMS)),
    };
    await writeFile(path.join(root, 'a-file.txt'), 'not a folder\n');
    await symlink('/etc', path.join(root, 'escape'));
    timings.fixturesSeconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    const t1 = performance.now();
    platform = await startPlatform({
      allowedRoot: root,
      env: {
        GATEWAY_AUTH: 'on',
        GATEWAY_API_KEYS: `e2e-read:${READ_KEY}:read,e2e-admin:${ADMIN_KEY}:read+admin`,
        GATEWAY_JWT_SECRET: JWT_SECRET,
        GATEWAY_WS_MAX_SUBSCRIPTIONS: '5',
        // Fewer file jobs in flight, so the race below can catch files still queued; quick retries.
        INGEST_CONCURRENCY: '16',
        INGEST_RETRY_DELAY_MS: '1000',
      },
    });
    timings.platformStartSeconds = Number(((performance.now() - t1) / 1000).toFixed(1));
  },
  { timeout: 600_000 },
);

after(
  async () => {
    const rejections = platform
      ? Object.fromEntries(
          [
            ...(
              await fetch(gatewayUrl().replace(/\/graphql$/, '/metrics'))
                .then((r) => r.text())
                .catch(() => '')
            ).matchAll(/^tonegraph_gateway_rejections_total\{code="([^"]+)"\} (\d+)$/gm),
          ].map((m) => [m[1]!, Number(m[2])]),
        )
      : {};
    await catalogue.report('bad-input', {
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
      ...timings,
      jobs,
      rejections,
    });
    for (const p of platform?.ingest ?? []) p.child.kill('SIGCONT');
    await platform?.close();
    // rm -rf: node's rm cannot name the folders past PATH_MAX.
    if (root) await promisify(execFile)('rm', ['-rf', root]);
  },
  { timeout: 180_000 },
);

test('files deleted and replaced after the scan found them', { timeout: 300_000 }, async (t) => {
  const group = 'files: race';
  const libraryId = await addLibrary(race.dir, 'race');
  const sql = postgres(platform!.databaseUrl, { max: 2, onnotice: () => {} });
  const worker = platform!.ingest[0]!.child;
  const deleted = race.victims.slice(0, 10);
  const replaced = race.victims.slice(10, 20);
  const garbage = race.victims.slice(20, 30);
  let inFlight: string[] = [];
  let pendingAtStop = 0;
  const jobId = await scan(libraryId);
  try {
    // The scan has planned the job (its ledger is written) once `total` is set; the first files
    // are being read once one has settled. Stop the worker there, change the disk, let it go on.
    const deadline = Date.now() + 60_000;
    const progress = async () =>
      (
        await sql<{ total: number; processed: number }[]>`
          select total, processed from import_jobs where id = ${jobId}`
      )[0]!;
    while ((await progress()).total === 0) {
      assert.ok(Date.now() < deadline, 'the scan planned the job');
      await sleep(5);
    }
    const reading = Date.now() + 5000;
    while ((await progress()).processed === 0 && Date.now() < reading) await sleep(5);
    worker.kill('SIGSTOP');
    try {
      const pending = new Set(
        (
          await sql<{ path: string }[]>`
            select path from import_job_files where job_id = ${jobId} and state = 'pending'`
        ).map((r) => r.path),
      );
      pendingAtStop = pending.size;
      const fillers = race.fillers.filter((f) => pending.has(f));
      // With 16 file jobs in flight at most, victims queued behind 32 pending fillers are not read yet.
      assert.ok(fillers.length >= 32, `the worker outran the test: ${fillers.length} fillers pending`);
      assert.ok(
        race.victims.every((v) => pending.has(v)),
        'every victim is still pending',
      );
      // The walk and the queue follow the folder's own order: the first pending are being read.
      const order: string[] = [];
      for await (const entry of await opendir(race.dir)) order.push(path.join(race.dir, entry.name));
      inFlight = order.filter((f) => pending.has(f) && race.fillers.includes(f)).slice(0, 4);
      for (const f of [...deleted, ...inFlight]) await rm(f);
      for (const [i, f] of replaced.entries()) {
        await copyFile(race.replacement, path.join(race.dir, `.new-${i}`));
        await rename(path.join(race.dir, `.new-${i}`), f);
      }
      for (const [i, f] of garbage.entries()) {
        await writeFile(path.join(race.dir, `.bad-${i}`), noise(32 * 1024, `garbage ${i}`));
        await rename(path.join(race.dir, `.bad-${i}`), f);
      }
    } finally {
      worker.kill('SIGCONT');
    }
  } finally {
    await sql.end();
  }
  let job: Job | undefined;
  await catalogue.check(t, group, 'no job hangs', 'COMPLETED, every file settled', async () => {
    job = await finished(jobId);
    assert.equal(job.status, 'COMPLETED');
    assert.equal(job.processed, job.total);
    jobs.race = { id: jobId, seconds: seconds(job) };
    return `COMPLETED in ${seconds(job)} s, ${job.total} files (${pendingAtStop} pending when the disk changed)`;
  });
  assert.ok(job, 'the job ended');
  const tracks = new Map((await tracksOf(libraryId)).map((tr) => [tr.file.path, tr]));
  const { skipped } = job;
  const errors = job.errors.edges.map((e) => e.node);
  await catalogue.check(
    t,
    group,
    'deleted after the scan, before the read',
    'skipped: no track, no ImportError',
    () => {
      for (const f of deleted) {
        assert.equal(tracks.has(f), false, `no track for ${f}`);
        assert.equal(errors.filter((e) => e.path === f).length, 0, `no ImportError for ${f}`);
      }
      assert.ok(skipped >= deleted.length, `job.skipped = ${skipped}`);
      return `${deleted.length} skipped, job.skipped = ${skipped}`;
    },
  );
  await catalogue.check(
    t,
    group,
    'replaced by other audio after the scan',
    'the new content is imported',
    () => {
      for (const f of replaced) assert.equal(tracks.get(f)?.title, 'Replaced', f);
      return `${replaced.length} tracks titled "Replaced"`;
    },
  );
  await catalogue.check(
    t,
    group,
    'replaced by garbage after the scan',
    'one ImportError each, no track',
    () => {
      for (const f of garbage) {
        assert.equal(tracks.has(f), false, `no track for ${f}`);
        const mine = errors.filter((e) => e.path === f);
        assert.equal(mine.length, 1, `one ImportError for ${f}`);
        assert.match(mine[0]!.reason, new RegExp(path.basename(f)));
      }
      const sample = errors.find((e) => e.path === garbage[0]);
      return `${garbage.length} ImportErrors, e.g. ${sample?.stage}: ${sample?.reason.slice(0, 60)}`;
    },
  );
  await catalogue.check(
    t,
    group,
    'deleted while possibly being read',
    'skipped or imported, then gone after a rescan',
    async () => {
      const outcomes = inFlight.map((f) => {
        const error = errors.find((e) => e.path === f);
        if (error)
          assert.match(error.reason, /ENOENT|no such file|vanished|deleted/i, 'an error says it vanished');
        return tracks.has(f) ? 'imported' : error ? 'error' : 'skipped';
      });
      const rescan = await finished(await scan(libraryId, 'INCREMENTAL'));
      assert.equal(rescan.status, 'COMPLETED');
      const now = new Set((await tracksOf(libraryId)).map((tr) => tr.file.path));
      for (const f of inFlight) assert.equal(now.has(f), false, `${f} gone after the rescan`);
      const good = [...race.fillers.filter((f) => !inFlight.includes(f)), ...race.victims.slice(10, 20)];
      assert.deepEqual([...now].sort(), good.sort(), 'catalog = good files on disk');
      for (const f of good) expectedTracks.add(f);
      return `${outcomes.join(', ')}; after the rescan the catalog = the ${good.length} good files`;
    },
  );
});

test('imports of the bad libraries start', { timeout: 120_000 }, async () => {
  jobs.files = { id: await scan(await addLibrary(files.dir, 'files')) };
  jobs.big = { id: await scan(await addLibrary(big.dir, 'big')) };
});

test('GraphQL over HTTP', { timeout: 600_000 }, async (t) => {
  await httpCases(context(t));
});

test('credentials and scopes', { timeout: 300_000 }, async (t) => {
  await authCases(context(t));
});

test('graphql-ws', { timeout: 300_000 }, async (t) => {
  await wsCases(context(t));
});

test('addLibrary and scanLibrary', { timeout: 300_000 }, async (t) => {
  await libraryCases({
    ...context(t),
    root,
    existing: files.dir,
    file: path.join(root, 'a-file.txt'),
    escape: path.join(root, 'escape'),
  });
});

test('subgraphs called without the gateway', { timeout: 120_000 }, async (t) => {
  // The gateway was started with the subgraphs' URLs; its environment has them.
  const environ = await readFile(`/proc/${platform!.gateways[0]!.child.pid}/environ`, 'utf8');
  const env = Object.fromEntries(
    environ.split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const urls: SubgraphUrls = {
    catalog: env.CATALOG_URL!,
    analysis: env.ANALYSIS_URL!,
    'library-graph': env.LIBRARY_GRAPH_URL!,
  };
  subgraphs = urls;
  await subgraphCases(context(t), urls);
});

function context(t: CaseContext['t']): CaseContext {
  return {
    t,
    catalogue,
    url: gatewayUrl(),
    adminKey: ADMIN_KEY,
    readKey: READ_KEY,
    jwtSecret: JWT_SECRET,
    libraryId: libraries.get('files')!,
  };
}

test('bad files end as one ImportError each; good files are imported', { timeout: 400_000 }, async (t) => {
  const group = 'files';
  const libraryId = libraries.get('files')!;
  const job = await finished(jobs.files!.id, 300_000);
  jobs.files!.seconds = seconds(job);
  const tracks = await tracksOf(libraryId);
  const errors = job.errors.edges.map((e) => e.node);
  const byPath = new Map(tracks.map((tr) => [tr.file.path, tr]));
  for (const f of files.cases) {
    const expected =
      f.expect === 'imported'
        ? 'one track, analysed'
        : f.expect === 'skipped'
          ? 'skipped: no track, no ImportError'
          : `one ImportError: "${f.says ?? f.reason?.source ?? ''}"`;
    await catalogue.check(t, group, f.name, expected, () => {
      const mine = errors.filter(f.matches ?? ((e) => e.path === f.path));
      const track = byPath.get(f.path);
      if (f.expect === 'imported') {
        assert.ok(track, `a track for ${f.path}`);
        assert.equal(mine.length, 0, `no ImportError: ${JSON.stringify(mine)}`);
        assert.ok(track.analysis?.loudness, 'analysed');
        if (f.title) assert.equal(track.title, f.title);
        if (f.duration)
          assert.ok(Math.abs(track.duration! - f.duration) < f.duration / 100, `duration ${track.duration}`);
        return `imported "${track.title}", ${track.duration?.toFixed(0)} s, ${track.analysis.loudness.integratedLufs} LUFS`;
      }
      assert.equal(track, undefined, 'no track');
      if (f.expect === 'skipped') {
        assert.equal(mine.length, 0, `no ImportError: ${JSON.stringify(mine)}`);
        return 'skipped, nothing reported';
      }
      assert.equal(mine.length, 1, `exactly one ImportError: ${JSON.stringify(mine)}`);
      assert.match(mine[0]!.stage, f.stage!);
      assert.match(mine[0]!.reason, f.reason!);
      return `${mine[0]!.stage}: ${mine[0]!.reason}`;
    });
  }
  await catalogue.check(
    t,
    group,
    'the whole library',
    'COMPLETED; catalog = good files; no other ImportError',
    () => {
      assert.equal(job.status, 'COMPLETED');
      assert.deepEqual(tracks.map((tr) => tr.file.path).sort(), [...files.good].sort());
      const accounted = errors.filter((e) =>
        files.cases.some((f) => (f.matches ?? ((x) => x.path === f.path))(e)),
      );
      assert.equal(
        errors.length,
        accounted.length,
        `unexpected: ${JSON.stringify(errors.filter((e) => !accounted.includes(e)))}`,
      );
      for (const f of files.good) expectedTracks.add(f);
      return `COMPLETED in ${seconds(job)} s: ${tracks.length} tracks, ${errors.length} ImportErrors, analysis ${job.analysis.processed}/${job.analysis.total}`;
    },
  );
  await catalogue.check(
    t,
    group,
    `a folder of ${BIG_ENTRIES.toLocaleString('en')} entries`,
    `${BIG_AUDIO} imported, the rest skipped silently`,
    async () => {
      const bigJob = await finished(jobs.big!.id, 300_000);
      jobs.big!.seconds = seconds(bigJob);
      assert.equal(bigJob.status, 'COMPLETED');
      assert.equal(bigJob.total, BIG_AUDIO);
      assert.equal(bigJob.errors.totalCount, 0);
      const bigTracks = await tracksOf(libraries.get('big')!);
      assert.deepEqual(bigTracks.map((tr) => tr.file.path).sort(), [...big.good].sort());
      for (const f of big.good) expectedTracks.add(f);
      // From the request to the plan: waiting for the scan before it, then walking the folder.
      const planned = ((Date.parse(bigJob.startedAt!) - Date.parse(bigJob.createdAt)) / 1000).toFixed(1);
      jobs.big!.plannedSeconds = Number(planned);
      return `${bigTracks.length} imported, ${BIG_ENTRIES - BIG_AUDIO} skipped silently; planned ${planned} s after the request, done after ${seconds(bigJob)} s`;
    },
  );
});

test('the platform is unharmed', { timeout: 120_000 }, async (t) => {
  const group = 'afterwards';
  const base = gatewayUrl().replace(/\/graphql$/, '');
  await catalogue.check(t, group, 'gateway /healthz and /readyz', '200, ready', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    const body = (await ready.json()) as { status: string };
    assert.equal(ready.status, 200, JSON.stringify(body));
    return `200, ${JSON.stringify(body)}`;
  });
  await catalogue.check(t, group, 'subgraphs and ingest /health', '200 each', async () => {
    const urls = [
      ...(subgraphs ? Object.values(subgraphs) : []).map((u) => u.replace(/\/graphql$/, '/health')),
      ...platform!.ingest.map((p) => p.url.replace(/\/metrics$/, '/healthz')),
    ];
    for (const u of urls) assert.equal((await fetch(u)).status, 200, u);
    return `${urls.length} × 200`;
  });
  await catalogue.check(
    t,
    group,
    'catalog = good files on disk',
    'every good file once, nothing else',
    async () => {
      const sql = postgres(platform!.databaseUrl, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql<{ file_path: string }[]>`select file_path from tracks`;
        assert.deepEqual(rows.map((r) => r.file_path).sort(), [...expectedTracks].sort());
        const { tracks } = await gql<{ tracks: { totalCount: number } }>(
          '{ tracks(first: 1) { totalCount } }',
        );
        assert.equal(tracks.totalCount, expectedTracks.size);
        return `${rows.length} tracks = ${expectedTracks.size} good files`;
      } finally {
        await sql.end();
      }
    },
  );
  await catalogue.check(t, group, 'every process alive', 'gateway, ingest still running', () => {
    const procs = [...platform!.gateways, ...platform!.ingest];
    for (const p of procs) assert.equal(p.child.exitCode ?? p.child.signalCode, null, p.name);
    return procs.map((p) => `${p.name} (pid ${p.child.pid})`).join(', ');
  });
  assert.ok(catalogue.rows.length >= 30, `${catalogue.rows.length} cases`);
  assert.equal(catalogue.rows.filter((r) => !r.pass).length, 0);
});
