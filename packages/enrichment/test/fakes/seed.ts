import { createHash } from 'node:crypto';
import type { AcoustIdResult } from '../../src/acoustid/client.ts';
import type { MbRecording, MbRelease } from '../../src/musicbrainz/types.ts';

/** What the fakes serve. */
export interface FakeSeed {
  /** Recordings with their releases and artist credits, as MusicBrainz returns them. */
  readonly recordings?: readonly MbRecording[];
  /** Front covers by release MBID; a release without one has no cover (404). */
  readonly covers?: Readonly<Record<string, FakeCover>>;
  /** AcoustID results by fingerprint. */
  readonly fingerprints?: Readonly<Record<string, readonly AcoustIdResult[]>>;
  /** The AcoustID API key the fake accepts. Default `test-key`. */
  readonly acoustidKey?: string;
}

export interface FakeCover {
  readonly data: Uint8Array;
  /** Default image/jpeg. */
  readonly contentType?: string;
  /** Send it chunked, without a Content-Length, so only the bytes received tell its size. */
  readonly chunked?: boolean;
}

/** A UUID derived from `name`, so seeds and tests agree on ids without storing them. */
export function fakeMbid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Bytes that pass a JPEG signature check (SOI, JFIF APP0, padding, EOI), `size` long. */
export function fakeJpeg(size = 2048): Uint8Array {
  const head = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00];
  const out = new Uint8Array(Math.max(size, head.length + 2));
  out.set(head);
  for (let i = head.length; i < out.length - 2; i++) out[i] = (i * 31) & 0x7f;
  out.set([0xff, 0xd9], out.length - 2);
  return out;
}

export interface FakeReleaseSpec {
  readonly title: string;
  readonly trackCount?: number;
  readonly status?: string;
  readonly date?: string;
  readonly id?: string;
}

export interface FakeRecordingSpec {
  readonly title: string;
  readonly artist: string;
  readonly durationMs?: number;
  readonly isrcs?: readonly string[];
  readonly releases?: readonly FakeReleaseSpec[];
  readonly id?: string;
}

/** A MusicBrainz recording in its JSON shape, ids derived from the names unless given. */
export function fakeRecording(spec: FakeRecordingSpec): MbRecording {
  const artistId = fakeMbid(`artist:${spec.artist}`);
  const credit = [
    {
      name: spec.artist,
      joinphrase: '',
      artist: { id: artistId, name: spec.artist, 'sort-name': spec.artist },
    },
  ];
  const releases: MbRelease[] = (spec.releases ?? []).map((r) => ({
    id: r.id ?? fakeMbid(`release:${spec.artist}:${r.title}:${r.date ?? ''}:${r.trackCount ?? ''}`),
    title: r.title,
    status: r.status ?? 'Official',
    date: r.date ?? null,
    'track-count': r.trackCount ?? 10,
    media: [{ position: 1, format: 'CD', 'track-count': r.trackCount ?? 10 }],
    'release-group': { id: fakeMbid(`release-group:${spec.artist}:${r.title}`), title: r.title },
    'artist-credit': credit,
  }));
  return {
    id: spec.id ?? fakeMbid(`recording:${spec.artist}:${spec.title}:${spec.durationMs ?? ''}`),
    title: spec.title,
    length: spec.durationMs ?? null,
    'artist-credit': credit,
    releases,
    isrcs: spec.isrcs ?? [],
  };
}
