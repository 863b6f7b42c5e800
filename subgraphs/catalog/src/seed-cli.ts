// `npm run seed -- --tracks N [--albums N] [--artists N] [--seed N]`: a realistic catalog for benchmarks.
import { parseArgs } from 'node:util';
import { loadConfig, servicesSchema } from '@tonegraph/config';
import { createDb } from './db/client.ts';
import { seedCatalog } from './seed.ts';
import { migrateCatalog } from './store/migrate.ts';

const { values } = parseArgs({
  options: {
    tracks: { type: 'string', default: '50000' },
    albums: { type: 'string' },
    artists: { type: 'string' },
    seed: { type: 'string', default: '7' },
  },
});
const num = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};

const config = loadConfig('seed', servicesSchema.pick({ DATABASE_URL: true }));
const database = createDb(config.DATABASE_URL, { poolSize: 4 });
try {
  await migrateCatalog(database);
  const started = performance.now();
  const trackCount = num('tracks', values.tracks)!;
  const { libraryId } = await seedCatalog(database.db, {
    tracks: trackCount,
    albums: num('albums', values.albums) ?? Math.min(5000, Math.ceil(trackCount / 10)),
    artists: num('artists', values.artists) ?? Math.min(2000, Math.ceil(trackCount / 25)),
    seed: num('seed', values.seed)!,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`seeded ${trackCount} tracks into library ${libraryId} in ${seconds}s\n`);
} finally {
  await database.close();
}
