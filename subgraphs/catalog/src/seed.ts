import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from './db/client.ts';
import { albums, artists, libraries, trackArtists, tracks } from './db/schema.ts';

/** Options for {@link seedCatalog}. */
export interface SeedOptions {
  /** Tracks to create; default 50 000. */
  readonly tracks?: number;
  /** Albums; default tracks / 10. */
  readonly albums?: number;
  /** Artists; default tracks / 25. */
  readonly artists?: number;
  /** PRNG seed: the same seed gives the same names, tags and formats. */
  readonly seed?: number;
  /** Path recorded for the seeded library (it need not exist). */
  readonly libraryPath?: string;
}

/** mulberry32: small, fast, deterministic (the benchmarks' synthetic data draws from it too). */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

const WORDS = [
  'Night',
  'Blue',
  'Electric',
  'Sommer',
  'Café',
  'Ниндзя',
  '東京',
  'Señor',
  'Αγάπη',
  'Øresund',
  'Midnight',
  'Echo',
  'Velvet',
  'Crystal',
  'Über',
  'Garden',
  'Neon',
  'Paradise',
  'Journey',
  'Déjà',
  'Vu',
  'Radio',
  'Orbit',
  'Kaleidoscope',
  'Sunrise',
  'Bass',
  'Drift',
  'Lumière',
  'Straße',
  'Mañana',
  'Fire',
  'Ocean',
  'Storm',
  'Silver',
  'Ghost',
  'Heart',
] as const;
/** The genres seeded tracks and albums get. */
export const GENRES = [
  'House',
  'Techno',
  'Drum & Bass',
  'Jazz',
  'Rock',
  'Pop',
  'Hip-Hop',
  'Ambient',
  'Classical',
  'Soul',
  'Disco',
  'Folk',
] as const;
const FORMATS = [
  { format: 'flac', codec: 'FLAC', container: 'FLAC', lossless: true, bitsPerSample: 16 },
  { format: 'mp3', codec: 'MPEG 1 Layer 3', container: 'MPEG', lossless: false, bitsPerSample: null },
  { format: 'm4a', codec: 'AAC', container: 'M4A/mp42', lossless: false, bitsPerSample: null },
  { format: 'ogg', codec: 'Vorbis I', container: 'Ogg', lossless: false, bitsPerSample: null },
  { format: 'opus', codec: 'Opus', container: 'Ogg', lossless: false, bitsPerSample: null },
  { format: 'wav', codec: 'PCM', container: 'WAVE', lossless: true, bitsPerSample: 24 },
] as const;

async function inBatches<T>(
  rows: readonly T[],
  size: number,
  insert: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

/**
 * Fills the catalog with a realistic, deterministic library: unicode names,
 * multi-artist tracks with featured artists, compilations, a spread of years,
 * genres and formats. Returns the seeded library's id.
 */
export async function seedCatalog(db: Db, options: SeedOptions = {}): Promise<{ libraryId: string }> {
  const trackCount = options.tracks ?? 50_000;
  const albumCount = Math.max(1, options.albums ?? Math.ceil(trackCount / 10));
  const artistCount = Math.max(2, options.artists ?? Math.ceil(trackCount / 25));
  const rnd = prng(options.seed ?? 7);
  const phrase = (n: number) => Array.from({ length: n }, () => rnd.pick(WORDS)).join(' ');

  const artistRows = Array.from({ length: artistCount }, (_, i) => {
    const name = `${phrase(1 + rnd.int(2))} ${i + 1}`;
    return { id: randomUUID(), name, sortName: name };
  });
  await inBatches(artistRows, 2000, (batch) =>
    db
      .insert(artists)
      .values(batch)
      .onConflictDoUpdate({ target: artists.name, set: { name: sql`excluded.name` } }),
  );

  const [library] = await db
    .insert(libraries)
    .values({ name: 'Seeded library', path: options.libraryPath ?? `/seed/${randomUUID()}` })
    .returning({ id: libraries.id });
  const libraryId = library!.id;

  const albumKeys = new Set<string>();
  const albumRows = Array.from({ length: albumCount }, (_, i) => {
    const compilation = rnd.next() < 0.1;
    const albumArtistId = compilation ? null : rnd.pick(artistRows).id;
    let title = phrase(1 + rnd.int(3));
    // (title, album artist) is unique in the catalog, as it is for ingest.
    if (albumKeys.has(`${title}\0${albumArtistId}`)) title = `${title} ${i + 1}`;
    albumKeys.add(`${title}\0${albumArtistId}`);
    return {
      id: randomUUID(),
      title,
      albumArtistId,
      year: 1960 + rnd.int(67),
      compilation,
      genres: [rnd.pick(GENRES)],
    };
  });
  await inBatches(albumRows, 2000, (batch) => db.insert(albums).values(batch));

  const trackRows: (typeof tracks.$inferInsert)[] = [];
  const credits: (typeof trackArtists.$inferInsert)[] = [];
  for (let i = 0; i < trackCount; i++) {
    const album = albumRows[i % albumCount]!;
    const fmt = rnd.pick(FORMATS);
    const id = randomUUID();
    const main = album.albumArtistId ?? rnd.pick(artistRows).id;
    credits.push({ trackId: id, artistId: main, role: 'MAIN', position: 0 });
    if (rnd.next() < 0.2) {
      const featured = rnd.pick(artistRows).id;
      if (featured !== main) credits.push({ trackId: id, artistId: featured, role: 'FEATURED', position: 1 });
    }
    const title = phrase(1 + rnd.int(4));
    trackRows.push({
      id,
      libraryId,
      albumId: album.id,
      albumArtistId: album.albumArtistId,
      title,
      discNumber: 1,
      trackNumber: Math.floor(i / albumCount) + 1,
      duration: 90 + rnd.int(420) + rnd.int(1000) / 1000,
      genres: rnd.next() < 0.3 ? [album.genres[0]!, rnd.pick(GENRES)] : album.genres,
      year: album.year,
      filePath: `/seed/${libraryId}/${album.id}/${i}.${fmt.format}`,
      fileSize: 2_000_000 + rnd.int(60_000_000),
      format: fmt.format,
      codec: fmt.codec,
      container: fmt.container,
      bitrate: fmt.lossless ? 900_000 + rnd.int(600_000) : 128_000 + 32_000 * rnd.int(6),
      sampleRate: rnd.next() < 0.8 ? 44_100 : 48_000,
      channels: 2,
      bitsPerSample: fmt.bitsPerSample,
      lossless: fmt.lossless,
      contentHash: randomUUID().replaceAll('-', '').padEnd(64, '0'),
    });
  }
  await inBatches(trackRows, 1000, (batch) => db.insert(tracks).values(batch));
  await inBatches(credits, 5000, (batch) => db.insert(trackArtists).values(batch));
  await db.execute(sql`analyze tracks, albums, artists, track_artists`);
  return { libraryId };
}
