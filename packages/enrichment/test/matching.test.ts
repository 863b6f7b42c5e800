import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  createHostClient,
  createMatcher,
  createMusicBrainzClient,
  recordingSearchQuery,
  similarity,
  type HostClient,
  type Matcher,
} from '../src/index.ts';
import { fakeMbid, fakeRecording, parseSearchQuery, startFakes, type Fakes } from './fakes/index.ts';
import { FAST_POLICY } from './helpers.ts';

const blueInGreen = fakeRecording({
  title: 'Blue in Green',
  artist: 'Miles Davis',
  durationMs: 337_000,
  isrcs: ['USSM15900115'],
  releases: [
    { title: 'Jazz Hits of the Century', trackCount: 20, date: '2001-05-01' },
    { title: 'Kind of Blue', trackCount: 6, date: '1997-03-18' },
    { title: 'Kind of Blue', trackCount: 5, date: '1959-08-17' },
    { title: 'Kind of Blue', trackCount: 5, date: '1958-12-01', status: 'Bootleg' },
    { title: 'Kind of Blue (Legacy Edition)', trackCount: 18, date: '2009-09-29' },
  ],
});
const soWhatStudio = fakeRecording({
  title: 'So What',
  artist: 'Miles Davis',
  durationMs: 545_000,
  releases: [{ title: 'Kind of Blue', trackCount: 5, date: '1959-08-17' }],
});
const soWhatLive = fakeRecording({
  title: 'So What',
  artist: 'Miles Davis',
  durationMs: 612_000,
  releases: [{ title: 'Live at the Plugged Nickel', trackCount: 8, date: '1995-07-01' }],
});
const releaseId = (title: string, date: string, trackCount: number) =>
  fakeMbid(`release:Miles Davis:${title}:${date}:${trackCount}`);

describe('MusicBrainz matching', () => {
  let fakes: Fakes;
  let host: HostClient;
  let matcher: Matcher;
  before(async () => {
    fakes = await startFakes({ recordings: [blueInGreen, soWhatStudio, soWhatLive] });
    host = createHostClient({
      name: 'musicbrainz',
      baseUrl: fakes.musicbrainz.url,
      userAgent: 'Tonegraph/0.1.0 ( test )',
      rate: { perSecond: 50 },
      ...FAST_POLICY,
    });
    matcher = createMatcher(createMusicBrainzClient(host, 0), { threshold: 0.85 });
  });
  after(async () => {
    await host.close();
    await fakes.close();
  });
  beforeEach(() => {
    fakes.musicbrainz.requests.length = 0;
  });
  const paths = () => fakes.musicbrainz.requests.map((r) => new URL(r.url, 'http://x').pathname);

  test('similarity ignores case, accents, "the", punctuation and word order, and tolerates qualifiers', () => {
    assert.equal(similarity('The Beatles', 'beatles'), 1);
    assert.equal(similarity('Beyoncé', 'Beyonce'), 1);
    assert.equal(similarity('Davis, Miles', 'Miles Davis'), 1);
    assert.ok(similarity('Kind of Blue (Remastered 2011)', 'Kind of Blue') >= 0.95);
    assert.ok(similarity('So What', 'Freddie Freeloader') < 0.4);
  });

  test('the search query quotes its terms and bounds the duration', () => {
    const q = recordingSearchQuery({ title: 'Say "Hi"', artist: 'AC/DC', album: 'X', durationMs: 200_000 });
    assert.equal(
      q,
      'recording:"Say \\"Hi\\"" AND artist:"AC\\/DC" AND release:"X" AND dur:[197000 TO 203000]',
    );
    assert.deepEqual(parseSearchQuery(q), {
      recording: 'Say "Hi"',
      artist: 'AC/DC',
      release: 'X',
      dur: '197000 TO 203000',
    });
  });

  test('a recording MBID in the tags is looked up and applied, whatever the names say', async () => {
    const result = await matcher.match({ title: 'wrong title', mbids: { recording: soWhatLive.id } });
    assert.equal(result.status, 'matched');
    assert.ok(result.status === 'matched');
    assert.equal(result.via, 'mbid');
    assert.equal(result.recording.id, soWhatLive.id);
    assert.equal(result.score, 1);
    assert.equal(result.release?.title, 'Live at the Plugged Nickel');
    assert.deepEqual(paths(), [`/ws/2/recording/${soWhatLive.id}`]);
  });

  test('a release MBID in the tags picks that release', async () => {
    const wanted = releaseId('Jazz Hits of the Century', '2001-05-01', 20);
    const result = await matcher.match({
      mbids: { recording: blueInGreen.id, release: wanted },
      album: 'Kind of Blue',
    });
    assert.ok(result.status === 'matched');
    assert.equal(result.release?.id, wanted);
  });

  test('an unknown recording MBID falls back to the search', async () => {
    const result = await matcher.match({
      title: 'So What',
      artist: 'Miles Davis',
      durationMs: 545_500,
      mbids: { recording: fakeMbid('nobody') },
    });
    assert.ok(result.status === 'matched');
    assert.equal(result.via, 'search');
    assert.equal(result.recording.id, soWhatStudio.id);
  });

  test('an ISRC resolves without a search', async () => {
    const result = await matcher.match({
      title: 'Blue in Green',
      artist: 'Miles Davis',
      album: 'Kind of Blue',
      trackCount: 5,
      isrcs: ['USSM15900115'],
    });
    assert.ok(result.status === 'matched');
    assert.equal(result.via, 'isrc');
    assert.equal(result.recording.id, blueInGreen.id);
    assert.equal(result.release?.id, releaseId('Kind of Blue', '1959-08-17', 5));
    assert.deepEqual(paths(), ['/ws/2/isrc/USSM15900115']);
  });

  test('among several releases: the album title, then the track count, then official, then the earliest', async () => {
    const base = { title: 'Blue in Green', artist: 'Miles Davis', durationMs: 338_000 };
    const byCount5 = await matcher.match({ ...base, album: 'Kind of Blue', trackCount: 5 });
    assert.ok(byCount5.status === 'matched');
    assert.equal(byCount5.via, 'search');
    assert.equal(
      byCount5.release?.id,
      releaseId('Kind of Blue', '1959-08-17', 5),
      'the 5-track official original',
    );
    const byCount6 = await matcher.match({ ...base, album: 'Kind of Blue', trackCount: 6 });
    assert.ok(byCount6.status === 'matched');
    assert.equal(byCount6.release?.id, releaseId('Kind of Blue', '1997-03-18', 6), 'the 6-track reissue');
    const noCount = await matcher.match({ ...base, album: 'Kind of Blue' });
    assert.ok(noCount.status === 'matched');
    assert.equal(noCount.release?.date, '1959-08-17', 'earliest official, not the earlier bootleg');
    const compilation = await matcher.match({ ...base, album: 'Jazz Hits of the Century' });
    assert.ok(compilation.status === 'matched');
    assert.equal(compilation.release?.title, 'Jazz Hits of the Century');
    assert.equal(compilation.release?.trackCount, 20);
  });

  test('the duration tells a studio take from a live one with the same title', async () => {
    const studio = await matcher.match({ title: 'So What', artist: 'Miles Davis', durationMs: 546_000 });
    assert.ok(studio.status === 'matched');
    assert.equal(studio.recording.id, soWhatStudio.id);
    assert.equal(studio.artists[0]?.name, 'Miles Davis');
    assert.equal(studio.artists[0]?.id, fakeMbid('artist:Miles Davis'));
    const search = new URL(fakes.musicbrainz.requests.at(-1)!.url, 'http://x').searchParams.get('query');
    assert.match(search ?? '', /dur:\[543000 TO 549000\]/);
  });

  test('a weak match is kept as candidates, not applied', async () => {
    const result = await matcher.match({
      title: 'Blue Green',
      artist: 'Miles Davies',
      album: 'Kind of Blues',
      durationMs: 347_000,
    });
    assert.equal(result.status, 'candidates');
    assert.ok(result.status === 'candidates');
    assert.ok(result.score < 0.85 && result.score >= 0.5, `score ${result.score}`);
    assert.equal(result.candidates[0]?.recording.id, blueInGreen.id);
  });

  test('nothing found is not_found', async () => {
    const result = await matcher.match({ title: 'No Such Song', artist: 'Nobody' });
    assert.deepEqual(result, { status: 'not_found', score: 0 });
  });
});
