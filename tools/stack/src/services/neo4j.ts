import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import neo4j from 'neo4j-driver';
import { buildOnce, hashSources } from '../build-cache.ts';
import { config, repoRoot } from '../config.ts';
import { exists, readPid, which } from '../fs-util.ts';
import { run, spawnDetached, terminate } from '../proc.ts';
import type { Service } from '../service.ts';

const dir = path.join(config.STACK_DIR, 'neo4j');
const pidFile = path.join(dir, 'neo4j.pid');
const source = path.join(repoRoot, 'tools', 'neo4j');
const jar = path.join(source, 'target', 'tonegraph-neo4j.jar');
const port = config.STACK_NEO4J_PORT;

/** Neo4j 5 supports Java 17 and 21 only; prefer one of those over a newer default. */
async function javaBinary(): Promise<string> {
  const jvms = await readdir('/usr/lib/jvm').catch(() => [] as string[]);
  for (const want of ['21', '17']) {
    const found = jvms.find((d) => d.includes(`-${want}-`) || d.startsWith(`java-${want}`));
    if (found && (await exists(`/usr/lib/jvm/${found}/bin/java`))) return `/usr/lib/jvm/${found}/bin/java`;
  }
  return 'java';
}

/** Neo4j Community embedded with its Bolt connector and APOC core, built with Maven. */
export const neo4jService: Service = {
  name: 'neo4j',
  urlVar: 'NEO4J_URL',
  url: `bolt://127.0.0.1:${port}`,
  logFile: path.join(dir, 'neo4j.log'),
  async missingPackages() {
    const missing: string[] = [];
    if (!(await which('mvn'))) missing.push('maven');
    if (!(await which('java'))) missing.push('openjdk-17-jdk-headless');
    return missing;
  },
  async build() {
    const hash = await hashSources(source, (f) => f === 'pom.xml' || f.startsWith('src/'));
    await buildOnce(
      path.join(config.STACK_BIN_DIR ?? path.join(config.STACK_DIR, 'bin'), 'neo4j.stamp'),
      hash,
      () => exists(jar),
      async () => {
        await run('mvn', ['-q', '-B', 'package', '-DskipTests'], { cwd: source, timeoutMs: 30 * 60_000 });
      },
      'Neo4j Community with APOC (Maven, tools/neo4j; once)',
    );
  },
  async start() {
    await mkdir(dir, { recursive: true });
    const pid = await spawnDetached(
      await javaBinary(),
      [
        `-Xmx${config.STACK_NEO4J_HEAP}`,
        '-jar',
        jar,
        '--bolt-port',
        String(port),
        '--data-dir',
        path.join(dir, 'data'),
      ],
      this.logFile,
    );
    await writeFile(pidFile, `${pid}\n`);
  },
  pid: () => readPid(pidFile),
  async ping(url) {
    const driver = neo4j.driver(url, undefined, {
      connectionTimeout: 2000,
      connectionAcquisitionTimeout: 3000,
      maxConnectionPoolSize: 1,
    });
    // An auto-commit query: executeQuery would retry for 30 s on a dead server.
    const session = driver.session();
    try {
      const { records } = await session.run(
        'CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS v, edition',
      );
      const r = records[0];
      return `${String(r?.get('name'))} ${String(r?.get('v'))} ${String(r?.get('edition'))}`;
    } finally {
      await session.close();
      await driver.close();
    }
  },
  async stop() {
    await terminate(await readPid(pidFile), 60_000);
  },
};
