import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { fingerprintFile, type Enricher, type Fingerprint } from '../src/index.ts';
import { fakeJpeg, fakeRecording, startFakes, type Fakes } from './fakes/index.ts';
import { testEnricher, useRedis, useTempDir } from './helpers.ts';

const run = promisify(execFile);
const track = fakeRecording({
  title: 'Flamenco Sketches',
  artist: 'Miles Davis',
  durationMs: 566_000,
  releases: [{ title: 'Kind of Blue', trackCount: 5, date: '1959-08-17' }],
});
const other = fakeRecording({
  title: 'Freddie Freeloader',
  artist: 'Miles Davis',
  durationMs: 589_000,
  releases: [{ title: 'Kind of Blue', trackCount: 5, date: '1959-08-17' }],
});
const releaseId = track.releases![0]!.id;
const tags = {
  title: 'Flamenco Sketches',
  artist: 'Miles Davis',
  album: 'Kind of Blue',
  durationMs: 566_400,
  trackCount: 5,
};

describe('enrichTrack', () => {
  const tmp = useTempDir();
  const { redis, prefix } = useRedis();
  let fakes: Fakes;
  let untagged: string;
  let fingerprinted: Fingerprint | Error;
  let n = 0;
  const enrichers: Enricher[] = [];
  /** A fresh enricher with its own cache prefix and cover folder, so tests do not share state. */
  const enricher = (registry = new Registry()) => {
    n++;
    const e = testEnricher(
      fakes,
      { redis: redis(), prefix: `${prefix}${n}:`, coverDir: path.join(tmp(), `covers-${n}`) },
      { registry },
    );
    enrichers.push(e);
    return e;
  };
  before(async () => {
    untagged = path.join(tmp(), 'untagged.wav');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=330:duration=10',
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=d=10:a=0.05:seed=3',
      '-filter_complex',
      'amix=inputs=2',
      '-ac',
      '1',
      untagged,
    ]);
    // A missing fpcalc fails the AcoustID test below, not every test of this suite.
    fingerprinted = await fingerprintFile(untagged).catch((error: unknown) => error as Error);
    const fp = fingerprinted instanceof Error ? 'none' : fingerprinted.fingerprint;
    fakes = await startFakes({
      recordings: [track, other],
      covers: { [releaseId]: { data: fakeJpeg(3000) } },
      fingerprints: { [fp]: [{ id: 'aid-1', score: 0.93, recordings: [{ id: other.id }] }] },
    });
  });
  after(async () => {
    await Promise.all(enrichers.map((e) => e.close()));
    await fakes.close();
  });
  beforeEach(() => {
    for (const f of [fakes.musicbrainz, fakes.coverArt, fakes.images, fakes.acoustid]) {
      f.requests.length = 0;
      f.faults = {};
    }
  });

  test('a tagged track is matched and gets the archive cover; the second time costs no request', async () => {
    const registry = new Registry();
    const e = enricher(registry);
    const first = await e.enrichTrack(tags);
    assert.equal(first.status, 'matched');
    assert.equal(first.via, 'search');
    assert.equal(first.recording?.id, track.id);
    assert.equal(first.release?.id, releaseId);
    assert.equal(first.artists?.[0]?.name, 'Miles Davis');
    assert.ok(first.score >= 0.85);
    assert.equal(first.cover?.source, 'coverartarchive');
    assert.equal(path.basename(first.cover.path), `${releaseId}-500.jpg`);
    assert.equal(fakes.musicbrainz.requests.length, 1);
    assert.match(
      fakes.musicbrainz.requests[0]!.headers['user-agent'] ?? '',
      /^Tonegraph\/0\.1\.0 \( https:\/\/tonegraph\.test\/contact \)$/,
    );

    const second = await e.enrichTrack(tags);
    assert.deepEqual(second, first);
    assert.equal(fakes.musicbrainz.requests.length, 1, 'the search came from the Redis cache');
    assert.equal(fakes.coverArt.requests.length, 1, 'the cover came from disk');
    const calls = await registry.getSingleMetricAsString('tonegraph_enrichment_http_calls_total');
    assert.match(calls, /host="musicbrainz",outcome="cached"\} 1/);
  });

  test('an embedded cover is used before the archive', async () => {
    const result = await enricher().enrichTrack({ ...tags, picture: { data: fakeJpeg(1000) } });
    assert.equal(result.status, 'matched');
    assert.equal(result.cover?.source, 'embedded');
    assert.equal(path.basename(result.cover.path), `${releaseId}-embedded.jpg`);
    assert.equal(fakes.coverArt.requests.length, 0);
  });

  test('while MusicBrainz is down the track is deferred, never thrown, and completes once it is back', async () => {
    const e = enricher();
    fakes.musicbrainz.faults = { down: true };
    const exhausted = await e.enrichTrack(tags);
    assert.equal(exhausted.status, 'deferred');
    assert.equal(exhausted.deferred?.host, 'musicbrainz');
    assert.ok((exhausted.retryAfterMs ?? 0) >= 1000);
    assert.equal(fakes.musicbrainz.requests.length, 3, 'three attempts, then the breaker opened');
    assert.deepEqual(e.breakers().musicbrainz, 'open');

    const open = await e.enrichTrack(tags);
    assert.equal(open.status, 'deferred');
    assert.equal(open.deferred?.reason, 'breaker-open');
    assert.equal(fakes.musicbrainz.requests.length, 3, 'no request while the breaker is open');

    fakes.musicbrainz.faults = {};
    await sleep(650);
    const later = await e.enrichTrack(tags);
    assert.equal(later.status, 'matched');
    assert.equal(e.breakers().musicbrainz, 'closed');
  });

  test('a cover archive that keeps failing defers the track too', async () => {
    fakes.coverArt.faults = { down: true };
    const result = await enricher().enrichTrack(tags);
    assert.equal(result.status, 'deferred');
    assert.equal(result.deferred?.host, 'coverartarchive');
  });

  test('malformed JSON from MusicBrainz defers the track', async () => {
    fakes.musicbrainz.faults = { malformed: 1 };
    const result = await enricher().enrichTrack(tags);
    assert.equal(result.status, 'deferred');
    assert.equal(result.deferred?.reason, 'malformed-response');
  });

  test('a weak match is returned as candidates with no cover from the archive', async () => {
    const result = await enricher().enrichTrack({
      title: 'Flamenco Sketch',
      artist: 'Miles Davies',
      album: 'Blue',
      durationMs: 576_000,
    });
    assert.equal(result.status, 'candidates');
    assert.equal(result.candidates?.[0]?.recording.id, track.id);
    assert.equal(result.cover, undefined);
    assert.equal(fakes.coverArt.requests.length, 0);
  });

  test('a file without usable tags is identified by its AcoustID fingerprint', async () => {
    // fpcalc is Debian's libchromaprint-tools, which `npm run stack -- up` installs.
    assert.ifError(fingerprinted instanceof Error ? fingerprinted : null);
    const result = await enricher().enrichTrack({ path: untagged });
    assert.equal(result.status, 'matched');
    assert.equal(result.via, 'acoustid');
    assert.equal(result.recording?.id, other.id);
    assert.equal(result.score, 0.93);
    assert.equal(fakes.acoustid.requests.length, 1);
    assert.equal(new URLSearchParams(fakes.acoustid.requests[0]!.body).get('client'), 'test-key');
  });
});
