// A Subsonic service over a catalog of its own: a temporary library of real
// audio files (ffmpeg-generated) written through the catalog's store as
// ingest writes it, two users and an API key, and — when asked — a
// library-graph subgraph over the shared Neo4j with those tracks and their
// similarity. Everything the service talks to is a real server.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import {
  createApiKey,
  createUser,
  loadCreditedTracks,
  passwordCipher,
  upsertTracks,
  type FileFacts,
  type TrackTags,
} from '@tonegraph/catalog/store';
import { createServer as createGraphServer } from '@tonegraph/library-graph';
import { createDriver } from '@tonegraph/library-graph/driver';
import { createGraphSync } from '@tonegraph/library-graph/sync';
import { createLogger } from '@tonegraph/logger';
import { createScanPublisher } from '@tonegraph/queues';
import { createStreamer } from '@tonegraph/streaming';
import { testServices } from '@tonegraph/testing';
import { createServer } from '../src/server.ts';

const run = promisify(execFile);

/** The fixture's tracks: two albums of four tracks, mp3 and flac. */
export const ALBUMS = [
  {
    title: 'Blue Garden',
    artist: 'Velvet 12',
    format: 'mp3',
    codec: 'MPEG 1 Layer 3',
    genre: 'House',
    year: 1998,
  },
  { title: 'Red Harbour', artist: 'Neon 3', format: 'flac', codec: 'FLAC', genre: 'Techno', year: 2004 },
] as const;
export const TRACKS_PER_ALBUM = 4;

export interface Fixture {
  /** The service's base URL (`http://127.0.0.1:<port>`), `/rest/…` under it. */
  readonly url: string;
  readonly catalog: Harness;
  readonly libraryRoot: string;
  /** Track ids by title (`Blue Garden 1` …). */
  readonly tracks: ReadonlyMap<string, string>;
  readonly admin: { readonly name: string; readonly password: string };
  readonly listener: { readonly name: string; readonly password: string };
  /** An API key of the listener. */
  readonly apiKey: string;
  /** Scan requests published by startScan land on this queue. */
  readonly scanQueue: string;
  close(): Promise<void>;
}

async function makeAudio(file: string, format: string, frequency: number): Promise<void> {
  const codec = format === 'mp3' ? ['-c:a', 'libmp3lame', '-b:a', '128k'] : ['-c:a', 'flac'];
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=4:sample_rate=44100`],
    ...['-ac', '2', ...codec, file],
  ]);
}

function tagsOf(album: (typeof ALBUMS)[number], n: number, size: number): TrackTags {
  return {
    title: `${album.title} ${n}`,
    artists: [{ name: album.artist, role: 'MAIN' }],
    albumArtist: album.artist,
    album: album.title,
    compilation: false,
    discNumber: 1,
    trackNumber: n,
    genres: [album.genre],
    year: album.year,
    isrc: null,
    musicbrainz: { recordingId: null, trackId: null, releaseId: null },
    format: {
      format: album.format,
      codec: album.codec,
      container: album.format.toUpperCase(),
      duration: 4,
      bitrate: Math.round((size * 8) / 4),
      sampleRate: 44_100,
      channels: 2,
      bitsPerSample: album.format === 'flac' ? 16 : null,
      lossless: album.format === 'flac',
    },
  };
}

/** Starts the fixture; `graph: true` also starts a library-graph subgraph with the tracks' similarity. */
export async function startFixture(options: { graph?: boolean } = {}): Promise<Fixture> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const libraryRoot = await mkdtemp(path.join(tmpdir(), 'tonegraph-subsonic-'));
    cleanups.push(() => rm(libraryRoot, { recursive: true, force: true }));
    const catalog = await startCatalog({ allowedRoots: [libraryRoot] });
    cleanups.push(() => catalog.close());
    const added = await catalog.gql<{ addLibrary: { id: string } }>(
      'mutation($p: String!) { addLibrary(path: $p, name: "Fixture") { id } }',
      { p: libraryRoot },
    );
    const libraryId = added.data!.addLibrary.id;

    const facts: FileFacts[] = [];
    for (const [a, album] of ALBUMS.entries()) {
      await mkdir(path.join(libraryRoot, album.title));
      for (let n = 1; n <= TRACKS_PER_ALBUM; n++) {
        const file = path.join(libraryRoot, album.title, `${n}.${album.format}`);
        await makeAudio(file, album.format, 220 * (a + 1) + 55 * n);
        const { size, mtimeMs } = await stat(file);
        facts.push({
          libraryId,
          path: file,
          size,
          mtimeMs,
          contentHash: randomUUID(),
          meta: tagsOf(album, n, size),
        });
      }
    }
    const saved = await catalog.database.db.transaction((tx) => upsertTracks(tx, facts));
    const credited = await loadCreditedTracks(
      catalog.database.db,
      [...saved.values()].map((t) => t.id),
    );
    const tracks = new Map(credited.map((t) => [t.title, t.id]));

    const cipher = passwordCipher('subsonic-test-password-key');
    const admin = { name: `admin-${randomUUID().slice(0, 6)}`, password: 'admin secret' };
    const listener = { name: `listener-${randomUUID().slice(0, 6)}`, password: 'listen to this' };
    await createUser(catalog.database.db, cipher, { ...admin, admin: true });
    await createUser(catalog.database.db, cipher, listener);
    const { key: apiKey } = await createApiKey(catalog.database.db, listener.name, 'tests');

    const log = createLogger({ service: 'subsonic-test', level: 'silent' });
    let libraryGraphUrl = 'http://127.0.0.1:9/graphql';
    if (options.graph) {
      const driver = createDriver(testServices().NEO4J_URL, { poolSize: 5 });
      cleanups.push(() => driver.close());
      const sync = createGraphSync(driver);
      cleanups.push(() => sync.close());
      await sync.ensureSchema();
      // Same tempo and key within an album, so its tracks are each other's nearest; `Red Harbour 1`
      // has the first album's tempo and key too, so it is the one track like Velvet 12's.
      await sync.upsertTracks(
        credited.map((t) => {
          const second = t.album?.title === ALBUMS[1].title && t.title !== 'Red Harbour 1';
          return {
            ...t,
            artists: t.artists.map((x) => ({ ...x, role: 'main' as const })),
            features: { bpm: second ? 140 : 120, camelot: second ? '3B' : '8A', integratedLufs: -9 },
          };
        }),
      );
      cleanups.push(() => sync.removeTracks([...tracks.values()]));
      const graph = await createGraphServer({ driver, log });
      await new Promise<void>((resolve) => graph.httpServer.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => graph.stop());
      libraryGraphUrl = `http://127.0.0.1:${(graph.httpServer.address() as AddressInfo).port}/graphql`;
    }

    const scanPublisher = createScanPublisher(testServices().AMQP_URL, catalog.scanQueue, 2000);
    cleanups.push(() => scanPublisher.close());
    const streamer = createStreamer({ log, maxTranscodes: 2 });
    const server = createServer({
      database: catalog.database,
      cipher,
      log,
      scanPublisher,
      libraryGraphUrl,
      coverDir: path.join(libraryRoot, '.covers'),
      streamer,
    });
    await new Promise<void>((resolve) => server.httpServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => server.stop());
    const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}`;
    return {
      url,
      catalog,
      libraryRoot,
      tracks,
      admin,
      listener,
      apiKey,
      scanQueue: catalog.scanQueue,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
