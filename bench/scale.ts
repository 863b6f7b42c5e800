// How Tonegraph's reads and writes grow with the library: at each size the
// catalog (PostgreSQL), the analysis store (MongoDB wire) and the library
// graph (Neo4j) are seeded in bulk with realistic synthetic data, then the
// analysis subgraph is measured directly and the list page through the
// gateway (response cache off), with bytes on disk per track and the rate of
// linking new tracks to content already analysed. The analysis store runs on
// each store variant in the same run: the stack's server at MONGO_URL
// (FerretDB on SQLite, the default) and FerretDB on the stack's PostgreSQL.
// Every size starts from fresh, randomly named databases, dropped after it.
//   npm run bench -- scale [--sizes 1000,10000,100000] [--variants sqlite,postgresql]
//     [--requests 40] [--duration 30] [--connections 50] [--timeout 10] [--link 3000] [--link-seconds 30]
//     [--seed-minutes 45] [--graph-similarity default|fast] [--graph-concurrency 2]
// --graph-similarity: the library graph's similarity search as the sync does it by default, or
// narrowed (fast, the default above 10,000 tracks; see seedGraph).
// --duration: seconds of the 50-connection load; in 10 s windows the processes' JIT warm-up
// weighed enough that req/s varied by a fifth from run to run.
// BENCH_CPU_PROF=catalog,gateway,…: V8 CPU profiles of those processes in /tmp/prof-<name>.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ANALYZER_VERSION } from '@tonegraph/audio-analysis';
import { createDriver } from '@tonegraph/library-graph/driver';
import { runTag, testServices } from '@tonegraph/testing';
import { cleanUp, measureSize, type RunOptions } from './support/scale-size.ts';
import {
  postgresqlVariant,
  stackVariant,
  VARIANTS,
  type StoreVariant,
  type VariantName,
} from './support/scale-stores.ts';
import { stopAll } from './support/procs.ts';
import { scaleTable, TARGETS, type ScaleRow } from './support/scale-table.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    requests: { type: 'string', default: '40' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    timeout: { type: 'string', default: '10' },
    link: { type: 'string', default: '3000' },
    'link-seconds': { type: 'string', default: '30' },
    'seed-minutes': { type: 'string', default: '45' },
    'graph-similarity': { type: 'string' },
    'graph-concurrency': { type: 'string', default: '2' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const variantNames = values.variants.split(',') as VariantName[];
const unknown = variantNames.filter((v) => !VARIANTS.includes(v));
if (unknown.length || sizes.some((s) => !Number.isInteger(s) || s < 100)) {
  process.stderr.write(
    `--variants: ${VARIANTS.join(', ')}; --sizes: integers ≥ 100 (got ${values.variants}, ${values.sizes})\n`,
  );
  process.exit(2);
}
const options: RunOptions = {
  requests: Number(values.requests),
  duration: Number(values.duration),
  connections: Number(values.connections),
  capMs: Number(values.timeout) * 1000,
  linkTracks: Number(values.link),
  linkSeconds: Number(values['link-seconds']),
  seedMinutes: Number(values['seed-minutes']),
};
const graphOf = (size: number) => ({
  batch: 250,
  concurrency: Number(values['graph-concurrency']),
  fast: (values['graph-similarity'] ?? (size > 10_000 ? 'fast' : 'default')) === 'fast',
});

const services = testServices();
const tag = runTag();
const secret = randomBytes(24).toString('hex');
const driver = createDriver(services.NEO4J_URL, { poolSize: 20 });
const variants: StoreVariant[] = [];
const rows: ScaleRow[] = [];

async function save(): Promise<void> {
  await mkdir('bench/results', { recursive: true });
  const json = {
    at: new Date().toISOString(),
    runTag: tag,
    analyzerVersion: ANALYZER_VERSION,
    cores: os.availableParallelism(),
    loadavg: os.loadavg(),
    options,
    targets: TARGETS,
    rows,
  };
  await writeFile('bench/results/scale.json', `${JSON.stringify(json, null, 2)}\n`);
}

// Ctrl-C or a kill: the databases and the run's part of the graph go, the processes stop.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.warn(`${signal}: removing what the run seeded (again to exit at once)`);
    void cleanUp()
      .then(() => stopAll())
      .then(() => Promise.all(variants.map((v) => v.close())))
      .finally(() => process.exit(130));
  });
}

try {
  for (const name of variantNames)
    variants.push(
      name === 'sqlite'
        ? await stackVariant(services.MONGO_URL)
        : await postgresqlVariant(services.DATABASE_URL),
    );
  for (const size of sizes) {
    rows.push(
      ...(await measureSize({
        size,
        tag,
        secret,
        services,
        driver,
        variants,
        options,
        graph: graphOf(size),
      })),
    );
    await save(); // what was measured survives a later size that fails
    console.log(`\n${scaleTable(rows)}\n`);
  }
} finally {
  for (const v of variants.reverse())
    await v.close().catch((e: unknown) => console.warn(`closing ${v.name}: ${String(e)}`));
  await driver.close();
}
console.log(
  `\nTargets at 100,000 tracks (issue 15), marked ✓/✗ at every size. Sequential series: ${options.requests} requests each ` +
    `(random arguments), capped at ${options.capMs / 1000} s per request; load: ${options.connections} connections for ` +
    `${options.duration} s, every body distinct; gateway response cache off; ${os.availableParallelism()} cores, ` +
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}. Written to bench/results/scale.json.\n`,
);
console.log(scaleTable(rows));
