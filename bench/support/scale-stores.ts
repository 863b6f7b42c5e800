// The MongoDB-wire servers the scale benchmark compares: the stack's own
// (FerretDB with its SQLite backend on the default stack) and a second
// FerretDB on FerretDB 1.24's PostgreSQL backend over the stack's PostgreSQL,
// started here; and what each keeps on disk for one database.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import type { Driver } from 'neo4j-driver';
import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '@tonegraph/testing';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');

export type VariantName = 'sqlite' | 'postgresql';
export const VARIANTS: readonly VariantName[] = ['sqlite', 'postgresql'];

/** One MongoDB-wire server the analysis store can live on. */
export interface StoreVariant {
  readonly name: VariantName;
  /** What it is, for the table, e.g. `FerretDB 1.24 SQLite (stack)`. */
  readonly label: string;
  readonly url: string;
  /** The server process, when known (its CPU is watched to let it settle between phases). */
  readonly pid: number | undefined;
  /** Bytes this database takes on disk, and how that was measured; undefined when it cannot tell. */
  bytesOnDisk(db: string): Promise<{ bytes: number; how: string } | undefined>;
  close(): Promise<void>;
}

/** `dbStats` as the server reports it (FerretDB's figures are estimates). */
export async function dbStats(client: MongoClient, db: string): Promise<Record<string, number>> {
  const s = await client.db(db).command({ dbStats: 1 });
  const pick = ['objects', 'dataSize', 'storageSize', 'indexSize', 'totalSize'];
  return Object.fromEntries(pick.filter((k) => typeof s[k] === 'number').map((k) => [k, s[k] as number]));
}

const sizeOf = (file: string) =>
  stat(file).then(
    (s) => s.size,
    () => 0,
  );

/** The stack's FerretDB process: its pid, data dir and whether it runs the binary now built. */
async function stackFerret(mongoUrl: string) {
  const stackDir = path.join(repo, '.stack');
  const pid = Number(
    (await readFile(path.join(stackDir, 'ferretdb', 'ferretdb.pid'), 'utf8').catch(() => '')).trim(),
  );
  if (!pid) return undefined;
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const listen = argv[argv.indexOf('-listen') + 1];
  // Only when that process is the one MONGO_URL points at (a private stack or a real MongoDB is not).
  if (!listen || new URL(mongoUrl).port !== listen.split(':').at(-1)) return undefined;
  const dataDir = argv.includes('-data-dir') ? argv[argv.indexOf('-data-dir') + 1] : undefined;
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
  return { pid, dataDir, outdated: exe.endsWith(' (deleted)') };
}

/** The server at MONGO_URL: on the default stack, FerretDB with its SQLite backend. */
export async function stackVariant(mongoUrl: string): Promise<StoreVariant> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const info = await client.db('admin').command({ buildInfo: 1 });
  const ferret = await stackFerret(mongoUrl);
  const label = info.ferretdbVersion
    ? `FerretDB SQLite (stack)${ferret?.outdated ? ', older build than .stack/bin' : ''}`
    : `MongoDB ${String(info.version)}`;
  if (ferret?.outdated)
    console.warn(
      'the stack FerretDB runs an older binary than .stack/bin/ferretdb: restart it to measure the current build',
    );
  return {
    name: 'sqlite',
    label,
    url: mongoUrl,
    pid: ferret?.pid,
    async bytesOnDisk(db) {
      if (ferret?.dataDir) {
        const base = path.join(ferret.dataDir, `${db}.sqlite`);
        const sizes = await Promise.all(['', '-wal', '-shm'].map((s) => sizeOf(base + s)));
        if (sizes[0]) return { bytes: sizes.reduce((a, b) => a + b, 0), how: `${db}.sqlite (+ -wal, -shm)` };
      }
      const s = await dbStats(client, db);
      return s.totalSize ? { bytes: s.totalSize, how: 'dbStats totalSize' } : undefined;
    },
    close: () => client.close(),
  };
}

/** The FerretDB binary with `-handler`: the stack's build when it has the flag, else built here from tools/ferretdb. */
async function ferretBinary(): Promise<{ binary: string; cleanup: () => Promise<void> }> {
  const stackBinary = path.join(process.env.STACK_BIN_DIR ?? path.join(repo, '.stack', 'bin'), 'ferretdb');
  const usage = await run(stackBinary, ['-h']).then(
    (r) => r.stderr,
    (e: { stderr?: string }) => e.stderr ?? '',
  );
  if (usage.includes('-handler')) return { binary: stackBinary, cleanup: async () => {} };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tonegraph-scale-ferretdb-'));
  const binary = path.join(dir, 'ferretdb');
  console.log('building FerretDB with -handler (the stack has an older build) …');
  await run('bash', [path.join(repo, 'tools', 'ferretdb', 'build.sh'), binary], { timeout: 20 * 60_000 });
  return { binary, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A second FerretDB, on its PostgreSQL backend, in a fresh database of the stack's PostgreSQL. */
export async function postgresqlVariant(databaseUrl: string): Promise<StoreVariant> {
  const { binary, cleanup } = await ferretBinary();
  const database: TestDatabase = await createTestDatabase(databaseUrl);
  const child: ChildProcess = spawn(
    binary,
    [
      '-listen',
      '127.0.0.1:0',
      '-handler',
      'postgresql',
      '-postgresql-url',
      database.url,
      '-log-level',
      'error',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      const m = /ferretdb ready (\S+)/.exec(c.toString());
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`ferretdb (postgresql) exited ${code}: ${log}`)));
  });
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  let closed: Promise<void> | undefined;
  return {
    name: 'postgresql',
    label: 'FerretDB PostgreSQL',
    url,
    pid: child.pid,
    async bytesOnDisk(db) {
      // FerretDB keeps each MongoDB database in a PostgreSQL schema of that name.
      const [row] = await sql<{ bytes: string | null }[]>`
        select sum(pg_total_relation_size(c.oid))::text as bytes
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${db} and c.relkind in ('r', 'm')`;
      return row?.bytes
        ? { bytes: Number(row.bytes), how: `schema ${db}: tables, TOAST and indexes` }
        : undefined;
    },
    close() {
      closed ??= (async () => {
        if (child.exitCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        }
        await sql.end();
        await database.drop();
        await cleanup();
      })();
      return closed;
    },
  };
}

/**
 * What the run's part of the graph takes in Neo4j's record stores, from
 * counts: the database is shared, the embedded server has no checkpoint
 * procedure, and its store files only grow when pages are flushed, so file
 * sizes cannot be read per run. Record sizes of Neo4j 5's record format:
 * node 15 B, relationship 34 B, property record 41 B (four 8-byte blocks;
 * a string longer than fits inline takes 128-byte dynamic records), plus
 * ~60 B per entry of each index on the nodes (the uniqueness constraints,
 * the (libraryId, bpm) index).
 */
export async function graphBytesEstimate(driver: Driver, trackIds: readonly string[], otherNodes: number) {
  let nodes = otherNodes;
  let rels = 0;
  let blocks = 0;
  let dynamic = 0;
  for (let i = 0; i < trackIds.length; i += 5000) {
    const { records } = await driver.executeQuery(
      `UNWIND $ids AS id MATCH (t:Track {id: id})
       WITH t, [k IN keys(t) | t[k]] AS values
       RETURN count(t) AS tracks,
              sum(COUNT { (t)-->() }) AS rels,
              sum(size(values)) + sum(COUNT { (t)-[r]->() WHERE r.role IS NOT NULL OR r.score IS NOT NULL }) AS props,
              sum(size([v IN values WHERE v IS :: STRING AND size(v) > 24])) AS long`,
      { ids: trackIds.slice(i, i + 5000) },
    );
    const r = records[0]!;
    nodes += Number(r.get('tracks'));
    rels += Number(r.get('rels'));
    blocks += Number(r.get('props')) * 2;
    dynamic += Number(r.get('long'));
  }
  // Album, artist and library nodes: an id and a name each.
  blocks += otherNodes * 2 * 2;
  return 15 * nodes + 34 * rels + 41 * Math.ceil(blocks / 4) + 128 * dynamic + 60 * (nodes + trackIds.length);
}
