import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { buildOnce, hashSources } from '../build-cache.ts';
import { config, repoRoot } from '../config.ts';
import { exists, readPid, which } from '../fs-util.ts';
import { run, spawnDetached, terminate } from '../proc.ts';
import type { Service } from '../service.ts';

const dir = path.join(config.STACK_DIR, 'ferretdb');
const pidFile = path.join(dir, 'ferretdb.pid');
const source = path.join(repoRoot, 'tools', 'ferretdb');
const binary = path.join(config.STACK_BIN_DIR ?? path.join(config.STACK_DIR, 'bin'), 'ferretdb');
const port = config.STACK_MONGO_PORT;

async function moduleVersion(): Promise<string> {
  const goMod = await readFile(path.join(source, 'go.mod'), 'utf8').catch(() => '');
  return /github\.com\/FerretDB\/FerretDB (v\S+)/.exec(goMod)?.[1] ?? 'unknown';
}

/** FerretDB (MongoDB wire protocol, SQLite backend), embedded in a small Go program. */
export const ferretdbService: Service = {
  name: 'ferretdb',
  urlVar: 'MONGO_URL',
  url: `mongodb://127.0.0.1:${port}/`,
  logFile: path.join(dir, 'ferretdb.log'),
  async missingPackages() {
    return [...((await which('go')) ? [] : ['golang-go']), ...((await which('patch')) ? [] : ['patch'])];
  },
  async build() {
    const hash = await hashSources(source, (f) =>
      /^(go\.mod|go\.sum|build\.sh|[^/]+\.go|[^/]+\.patch)$/.test(f),
    );
    await buildOnce(
      path.join(config.STACK_BIN_DIR ?? path.join(config.STACK_DIR, 'bin'), 'ferretdb.stamp'),
      hash,
      () => exists(binary),
      async () => {
        // The FerretDB module with index pushdown for its SQLite backend (build.sh says why).
        await run('bash', [path.join(source, 'build.sh'), binary], { cwd: source, timeoutMs: 20 * 60_000 });
      },
      'FerretDB (Go, tools/ferretdb; once)',
    );
  },
  async start() {
    await mkdir(path.join(dir, 'data'), { recursive: true });
    const pid = await spawnDetached(
      binary,
      ['-listen', `127.0.0.1:${port}`, '-data-dir', path.join(dir, 'data')],
      this.logFile,
    );
    await writeFile(pidFile, `${pid}\n`);
  },
  pid: () => readPid(pidFile),
  async ping(url) {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
    try {
      await client.connect();
      const info = await client.db('admin').command({ buildInfo: 1 });
      // An embedded build reports "unknown"; the version is the module's, from go.mod.
      const ferret = String(info.ferretdbVersion ?? 'unknown');
      const version = ferret === 'unknown' ? await moduleVersion() : ferret;
      return `FerretDB ${version} (MongoDB ${String(info.version)} wire)`;
    } finally {
      await client.close();
    }
  },
  async stop() {
    await terminate(await readPid(pidFile));
  },
};
