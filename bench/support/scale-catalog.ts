// The catalog side of the scale benchmark: the catalog seed in a fresh
// PostgreSQL database, spread over three libraries, with content hashes that
// a share of tracks have in common (duplicate files); and the rows the other
// stores are seeded from.
import { randomUUID } from 'node:crypto';
import { createDb } from '@tonegraph/catalog/db';
import { loadCreditedTracks, migrateCatalog, type CreditedTrack } from '@tonegraph/catalog/store';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { createTestDatabase, type TestDatabase } from '@tonegraph/testing';
import { contentHash, prng, type ContentSeed } from './scale-data.ts';

/** Share of tracks whose audio is a copy of another track's. */
const DUPLICATE_SHARE = 0.08;
/** Share of tracks not analysed (yet): a few pending, a few failed (the stats count them). */
const UNANALYSED_SHARE = 0.005;

/** One catalog track as the analysis store and the library graph are seeded from. */
export interface SeededTrack {
  readonly id: string;
  readonly title: string;
  readonly libraryId: string;
  readonly album: { id: string; title: string; artistId: string | null; artistName: string | null } | null;
  readonly artists: { id: string; name: string; role: 'main' | 'featured' }[];
  readonly genres: string[];
  /** What the track's audio content is generated from; the same object for duplicates. */
  readonly content: ContentSeed;
  readonly contentHash: string;
  /** False for the few tracks left pending or failed. */
  readonly analysed: boolean;
}

export interface SeededCatalog {
  readonly database: TestDatabase;
  readonly tracks: SeededTrack[];
  readonly libraryIds: string[];
  /** Distinct contents (analyses). */
  readonly contents: number;
  /** Bytes of the catalog's tables, indexes and TOAST. */
  bytes(): Promise<number>;
}

/** Tracks per read of their credits. */
const READ_BATCH = 10_000;

/** Seeds a catalog of `size` tracks into a new database on `serverUrl`. */
export async function seedScaleCatalog(
  serverUrl: string,
  size: number,
  runTag: string,
): Promise<SeededCatalog> {
  const database = await createTestDatabase(serverUrl);
  const db = createDb(database.url, { poolSize: 4 });
  try {
    await migrateCatalog(db);
    const { libraryId } = await seedCatalog(db.db, {
      tracks: size,
      albums: Math.min(5000, Math.ceil(size / 10)),
      artists: Math.min(2000, Math.ceil(size / 25)),
    });
    // Two more libraries, whole albums moved to them (60 / 25 / 15 %).
    const extra = [randomUUID(), randomUUID()];
    await db.sql`insert into libraries (id, name, path)
      values (${extra[0]!}, 'Seeded library 2', ${`/seed/${extra[0]!}`}), (${extra[1]!}, 'Seeded library 3', ${`/seed/${extra[1]!}`})`;
    await db.sql`update tracks set library_id = case
        when abs(hashtext(album_id::text)) % 20 between 12 and 16 then ${extra[0]!}::uuid
        when abs(hashtext(album_id::text)) % 20 >= 17 then ${extra[1]!}::uuid
        else library_id end
      where album_id is not null`;
    // The audio format in insertion order, then each track as the library graph mirrors it (the catalog store's read).
    const formats = await db.sql<
      { id: string; duration: number | null; sample_rate: number | null; channels: number | null }[]
    >`select id, duration, sample_rate, channels from tracks order by added_at, id`;
    const credited = new Map<string, CreditedTrack>();
    for (let i = 0; i < formats.length; i += READ_BATCH) {
      const ids = formats.slice(i, i + READ_BATCH).map((f) => f.id);
      for (const t of await loadCreditedTracks(db.db, ids)) credited.set(t.id, t);
    }
    const rows = formats.map((f) => ({ ...f, ...credited.get(f.id)! }));
    // Duplicates copy the content of an earlier track (a second rip, a compilation copy).
    const rnd = prng(size);
    const contentOf: number[] = [];
    let contents = 0;
    for (let i = 0; i < rows.length; i++)
      contentOf.push(i > 10 && rnd.next() < DUPLICATE_SHARE ? contentOf[rnd.int(i)]! : contents++);
    const seeds: ContentSeed[] = [];
    const analysed = rows.length - Math.floor(rows.length * UNANALYSED_SHARE);
    const tracks: SeededTrack[] = rows.map((r, i) => ({
      id: r.id,
      title: r.title,
      libraryId: r.libraryId,
      album: r.album,
      artists: r.artists.map((a) => ({
        id: a.id,
        name: a.name,
        role: a.role === 'FEATURED' ? 'featured' : 'main',
      })),
      genres: r.genres,
      content: (seeds[contentOf[i]!] ??= {
        index: contentOf[i]!,
        genre: r.genres[0],
        durationSeconds: r.duration ?? 200,
        sampleRate: r.sample_rate ?? 44_100,
        channels: r.channels ?? 2,
      }),
      // Unanalysed tracks have content of their own, which no analysis describes.
      contentHash: i < analysed ? contentHash(runTag, contentOf[i]!) : contentHash(`${runTag}:new`, i),
      analysed: i < analysed,
    }));
    for (let i = 0; i < tracks.length; i += 10_000) {
      const batch = tracks.slice(i, i + 10_000);
      await db.sql`update tracks set content_hash = v.hash
        from unnest(${batch.map((t) => t.id)}::uuid[], ${batch.map((t) => t.contentHash)}::text[]) as v(id, hash)
        where tracks.id = v.id`;
    }
    await db.sql`analyze tracks, libraries`;
    return {
      database,
      tracks,
      libraryIds: [libraryId, ...extra],
      contents,
      async bytes() {
        const sql = createDb(database.url, { poolSize: 1 });
        try {
          const [row] = await sql.sql<{ bytes: string }[]>`
            select sum(pg_total_relation_size(c.oid))::text as bytes
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'm')`;
          return Number(row?.bytes ?? 0);
        } finally {
          await sql.close();
        }
      },
    };
  } catch (error) {
    await db.close();
    await database.drop();
    throw error;
  } finally {
    await db.close();
  }
}
