import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { createLogger } from '@tonegraph/logger';
import { freePort, isolation, testServices } from '@tonegraph/testing';
import { queueNames } from '@tonegraph/queues';
import { startIngest, type Ingest } from '../src/service.ts';

const CLI = path.join(import.meta.dirname, '../src/cli/index.ts');

let root: string;
let set: FixtureSet;
let catalog: Harness;
let ingest: Ingest;
let redis: Redis;
let queuePrefix: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tonegraph-cli-'));
  set = await generateFixtures(path.join(root, 'music'), { durationSeconds: 1 });
  catalog = await startCatalog({ allowedRoots: [root] });
  redis = new Redis(testServices().REDIS_URL);
  queuePrefix = `tonegraph.${isolation().tag}`;
  ingest = await startIngest({
    db: catalog.database.db,
    redis,
    amqpUrl: testServices().AMQP_URL,
    names: queueNames(queuePrefix, catalog.scanQueue),
    concurrency: 16,
    sequential: false,
    maxRetries: 1,
    retryDelayMs: 200,
    redisPrefix: catalog.redisPrefix,
    log: createLogger({ service: 'cli-test', level: 'silent' }),
  });
});
after(async () => {
  await ingest?.stop(5000);
  redis?.disconnect();
  await catalog?.close();
  await rm(root, { recursive: true, force: true });
});

function tonegraph(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, TONEGRAPH_URL: catalog.url, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const trackCount = async () =>
  (await catalog.database.sql<{ n: number }[]>`select count(*)::int as n from tracks`)[0]!.n;
const broken = () => set.others.filter((o) => o.file.startsWith('Broken/'));

test('import adds the library, shows progress to the end, lists the bad files and exits 3', async () => {
  const run = await tonegraph(['import', set.dir]);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /library music \(/);
  assert.match(run.stderr, /\] (\d+)\/\1 100% .* COMPLETED/);
  assert.match(run.stderr, new RegExp(`${broken().length} file\\(s\\) not imported`));
  for (const o of broken().filter((b) => b.kind !== 'invalid-name'))
    assert.ok(run.stderr.includes(path.join(set.dir, o.file)), `${o.file} is listed`);
  assert.equal(await trackCount(), set.tracks.length);
});

test('import --sequential --full runs the same job in-process, one file at a time, on the same library', async () => {
  const run = await tonegraph(['import', '--sequential', '--full', set.dir], {
    DATABASE_URL: catalog.databaseUrl,
    REDIS_PREFIX: catalog.redisPrefix,
    QUEUE_PREFIX: `${queuePrefix}.cli`,
  });
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /100% .* COMPLETED/);
  assert.equal(await trackCount(), set.tracks.length, 'nothing duplicated');
  const libraries = await catalog.database.sql`select id from libraries`;
  assert.equal(libraries.length, 1, 'the existing library was reused');
});

test('status lists the library and its jobs with their errors', async () => {
  const run = await tonegraph(['status']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`music  ONLINE  ${set.tracks.length} tracks  watch OFF`));
  assert.equal(run.stdout.match(/ FULL {2}COMPLETED /g)?.length, 1);
  assert.equal(run.stdout.match(/ INCREMENTAL {2}COMPLETED /g)?.length, 1);
  // Each job lists its newest 5 errors (which 5 depends on the order files
  // failed in) and says how many more there are.
  const jobs = run.stdout.split(/\n(?= {2}[0-9a-f]{8}-)/).filter((block) => / COMPLETED /.test(block));
  assert.equal(jobs.length, 2);
  const brokenPaths = new Set(broken().map((o) => path.join(set.dir, o.file)));
  for (const job of jobs) {
    assert.ok(Number(/ failed (\d+) /.exec(job)?.[1]) > 5, job);
    const listed = [...job.matchAll(/✗ (.+)\n\s+\w+: \S/g)].map((m) => m[1]!);
    assert.equal(listed.length, 5, job);
    for (const p of listed) assert.ok(brokenPaths.has(p), `${p} is a broken file`);
    assert.match(job, /\n {4}… and [1-9]\d* more \(the newest 5 are shown\)\n?$/);
  }
});

test('errors are clear: a path outside the allowed roots, an unreachable API, bad usage', async () => {
  const outside = await tonegraph(['import', tmpdir()]);
  assert.equal(outside.code, 1);
  assert.match(outside.stderr, /\[LIBRARY_PATH_OUTSIDE_ROOTS\]/);
  const port = await freePort();
  const down = await tonegraph(['status'], { TONEGRAPH_URL: `http://127.0.0.1:${port}/graphql` });
  assert.equal(down.code, 1);
  assert.ok(
    down.stderr.includes(`cannot reach Tonegraph at http://127.0.0.1:${port}/graphql (ECONNREFUSED)`),
    down.stderr,
  );
  const usage = await tonegraph(['import']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage:/);
});
