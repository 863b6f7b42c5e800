import { createLogger } from '@tonegraph/logger';
import { createTestDatabase, testServices, type TestDatabase } from '@tonegraph/testing';
import { createDb, type Database } from '../src/db/client.ts';
import { migrateCatalog, type FileFacts, type TrackTags } from '../src/store/index.ts';

/** A migrated database of its own for a store test file. */
export interface StoreFixture {
  readonly database: Database;
  /** The database's URL, for a second pool (e.g. one that records its statements). */
  readonly databaseUrl: string;
  /** A library row to hang tracks and jobs on. */
  addLibrary(name?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startStore(): Promise<StoreFixture> {
  const testDb: TestDatabase = await createTestDatabase(testServices().DATABASE_URL);
  const database = createDb(testDb.url, { poolSize: 4 });
  await migrateCatalog(database, { log: createLogger({ service: 'store-test', level: 'silent' }) });
  let n = 0;
  return {
    database,
    databaseUrl: testDb.url,
    async addLibrary(name = `Library ${++n}`) {
      const [row] = await database.sql<{ id: string }[]>`
        insert into libraries (name, path) values (${name}, ${`/music/${name}-${Date.now()}-${n}`}) returning id`;
      return row!.id;
    },
    async close() {
      await database.close();
      await testDb.drop();
    },
  };
}

/** Tags of a plain album track; `over` replaces fields. */
export function tags(over: Partial<TrackTags> = {}): TrackTags {
  return {
    title: 'Night Echo',
    artists: [{ name: 'Velvet 12', role: 'MAIN' }],
    albumArtist: null,
    album: 'Blue Garden',
    compilation: false,
    discNumber: 1,
    trackNumber: 1,
    genres: ['House'],
    year: 1998,
    isrc: null,
    musicbrainz: { recordingId: null, trackId: null, releaseId: null },
    format: {
      format: 'flac',
      codec: 'FLAC',
      container: 'FLAC',
      duration: 312.25,
      bitrate: 1_011_000,
      sampleRate: 44_100,
      channels: 2,
      bitsPerSample: 16,
      lossless: true,
    },
    ...over,
  };
}

/** A file of `libraryId` at `path` with `meta`. */
export const file = (libraryId: string, path: string, meta: TrackTags = tags()): FileFacts => ({
  libraryId,
  path,
  size: 1000 + path.length,
  mtimeMs: 1_764_000_000_123.7,
  contentHash: `hash-of-${path}`,
  meta,
});
