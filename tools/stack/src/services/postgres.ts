import { createHash } from 'node:crypto';
import { chown, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { config } from '../config.ts';
import { exists, readPid } from '../fs-util.ts';
import { run } from '../proc.ts';
import type { Service } from '../service.ts';

/**
 * PostgreSQL runs as the unprivileged `postgres` user when the stack runs as
 * root, so its folder must be reachable by that user. A checkout under a
 * private folder (e.g. /root) is not: then the data lives under /var/lib.
 */
async function pickDir(): Promise<string> {
  const wanted = path.join(config.STACK_DIR, 'postgres');
  if (process.getuid?.() !== 0) return wanted;
  for (let d = path.dirname(wanted); d !== path.dirname(d); d = path.dirname(d)) {
    let mode: number;
    try {
      mode = (await stat(d)).mode;
    } catch {
      continue; // not created yet: mkdir makes it 0755
    }
    if ((mode & 0o001) === 0) {
      const key = createHash('sha256').update(config.STACK_DIR).digest('hex').slice(0, 12);
      return path.join('/var/lib/tonegraph-stack', key, 'postgres');
    }
  }
  return wanted;
}

const dir = await pickDir();
const dataDir = path.join(dir, 'data');
const logFile = path.join(dir, 'postgres.log');
const port = config.STACK_POSTGRES_PORT;
const database = 'tonegraph';

/** The newest Debian PostgreSQL server's bin folder, if one is installed. */
async function binDir(): Promise<string | undefined> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [] as string[]))
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    if (await exists(path.join(root, v, 'bin', 'postgres'))) return path.join(root, v, 'bin');
  }
  return undefined;
}

/** PostgreSQL refuses to run as root, so as root its tools run as the `postgres` user. */
async function pgTool(tool: string, args: string[]): Promise<string> {
  const bin = await binDir();
  if (!bin) throw new Error('PostgreSQL server is not installed');
  const cmd = path.join(bin, tool);
  const asRoot = process.getuid?.() === 0;
  return asRoot
    ? run('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: dir })
    : run(cmd, args, { cwd: dir });
}

async function ownDir(): Promise<void> {
  // Parents must stay traversable by the postgres user; only the cluster is private.
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    const uid = Number((await run('id', ['-u', 'postgres'])).trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).trim());
    await chown(dir, uid, gid);
    await chown(dataDir, uid, gid);
  }
}

export const postgresService: Service = {
  name: 'postgres',
  urlVar: 'DATABASE_URL',
  url: `postgres://postgres@127.0.0.1:${port}/${database}`,
  logFile,
  async missingPackages() {
    return (await binDir()) ? [] : ['postgresql'];
  },
  async build() {},
  async start() {
    await ownDir();
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
      await pgTool('initdb', [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
    }
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      "-c unix_socket_directories=''",
      // Every service keeps a pool of 20–50 and tests run several at once.
      '-c max_connections=500',
      '-c shared_buffers=256MB',
    ].join(' ');
    await pgTool('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options, 'start']);
    const sql = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`select 1 from pg_database where datname = ${database}`;
      if (rows.length === 0) await sql.unsafe(`create database ${database}`);
    } finally {
      await sql.end();
    }
  },
  async pid() {
    return readPid(path.join(dataDir, 'postmaster.pid'));
  },
  async ping(url) {
    const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
      return `PostgreSQL ${row?.v ?? '?'}`;
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
  async stop() {
    if (await exists(path.join(dataDir, 'postmaster.pid'))) {
      await pgTool('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
    }
  },
};
