import { startFakeAcoustId } from './acoustid.ts';
import { startFakeCoverArt, startFakeImageHost } from './cover-art.ts';
import type { Faults, FakeServer } from './fake-server.ts';
import { startFakeMusicBrainz } from './musicbrainz.ts';
import type { FakeSeed } from './seed.ts';

export type { Faults, FakeServer, RecordedRequest } from './fake-server.ts';
export { json, startFakeServer } from './fake-server.ts';
export { fakeJpeg, fakeMbid, fakeRecording } from './seed.ts';
export type { FakeCover, FakeRecordingSpec, FakeReleaseSpec, FakeSeed } from './seed.ts';
export { parseSearchQuery, startFakeMusicBrainz } from './musicbrainz.ts';
export { startFakeCoverArt, startFakeImageHost } from './cover-art.ts';
export { startFakeAcoustId } from './acoustid.ts';

/** Initial faults per fake; each fake's `faults` can be changed later. */
export interface FakeFaults {
  readonly musicbrainz?: Faults;
  readonly coverArt?: Faults;
  readonly images?: Faults;
  readonly acoustid?: Faults;
}

export interface Fakes {
  readonly musicbrainz: FakeServer;
  readonly coverArt: FakeServer;
  /** Where the cover archive redirects to. */
  readonly images: FakeServer;
  readonly acoustid: FakeServer;
  /** Closes every fake (hanging requests included). Idempotent. */
  close(): Promise<void>;
}

/** Starts a fake MusicBrainz, Cover Art Archive (+ image host) and AcoustID on free local ports. */
export async function startFakes(seed: FakeSeed = {}, faults: FakeFaults = {}): Promise<Fakes> {
  const covers = seed.covers ?? {};
  const images = await startFakeImageHost(covers, { ...faults.images });
  const [musicbrainz, coverArt, acoustid] = await Promise.all([
    startFakeMusicBrainz(seed.recordings ?? [], { ...faults.musicbrainz }),
    startFakeCoverArt(covers, () => images.url, { ...faults.coverArt }),
    startFakeAcoustId(seed, { ...faults.acoustid }),
  ]);
  let closing: Promise<void> | undefined;
  return {
    musicbrainz,
    coverArt,
    images,
    acoustid,
    close() {
      closing ??= Promise.allSettled([musicbrainz, coverArt, images, acoustid].map((f) => f.close())).then(
        () => {},
      );
      return closing;
    },
  };
}
