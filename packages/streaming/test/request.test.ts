// parseStreamRequest (the query) and planStream (original or transcode).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStreamRequest, planStream, StreamRequestError, type TrackFile } from '@tonegraph/streaming';

test('parses format, bitrate and offset, Subsonic spellings included', () => {
  assert.deepEqual(parseStreamRequest({}), { format: 'raw', maxBitRate: undefined, timeOffset: undefined });
  assert.deepEqual(parseStreamRequest({ format: 'OPUS', maxBitRate: '96', timeOffset: '12.5' }), {
    format: 'opus',
    maxBitRate: 96,
    timeOffset: 12.5,
  });
  assert.equal(parseStreamRequest({ format: 'raw', maxBitRate: '128' }).format, 'raw');
  // Subsonic: maxBitRate=0 is no limit; a cap without a format asks for the default transcode (MP3).
  assert.equal(parseStreamRequest({ maxBitRate: '0' }).maxBitRate, undefined);
  assert.equal(parseStreamRequest({ maxBitRate: '0' }).format, 'raw');
  assert.equal(parseStreamRequest({ maxBitRate: '192' }).format, 'mp3');
});

test('refuses what it cannot honour with a StreamRequestError', () => {
  for (const query of [
    { format: 'flac' },
    { format: ['mp3', 'opus'] },
    { maxBitRate: '-1' },
    { maxBitRate: '12.5' },
    { maxBitRate: 'lots' },
    { maxBitRate: '1000000' },
    { timeOffset: '-3' },
    { timeOffset: 'soon' },
    { timeOffset: 'Infinity' },
  ]) {
    assert.throws(() => parseStreamRequest(query), StreamRequestError, JSON.stringify(query));
  }
});

const file = (format: string, bitrate: number | null): TrackFile => ({
  trackId: 't',
  path: '/music/x',
  size: 1,
  mtime: null,
  format,
  bitrate,
  duration: 10,
});

test('serves the original for raw, or for its own format within the cap', () => {
  assert.deepEqual(planStream(file('flac', 900_000), { format: 'raw' }), { kind: 'original' });
  assert.deepEqual(planStream(file('mp3', 192_000), { format: 'mp3' }), { kind: 'original' });
  assert.deepEqual(planStream(file('mp3', 128_000), { format: 'mp3', maxBitRate: 128 }), {
    kind: 'original',
  });
  assert.deepEqual(planStream(file('opus', 96_000), { format: 'opus', maxBitRate: 128 }), {
    kind: 'original',
  });
});

test('transcodes other formats, originals over the cap, offsets, and unknown bitrates under a cap', () => {
  const t = (format: 'opus' | 'mp3', kbps: number, timeOffset = 0) => ({
    kind: 'transcode',
    format,
    kbps,
    timeOffset,
  });
  assert.deepEqual(planStream(file('flac', 900_000), { format: 'opus' }), t('opus', 128));
  assert.deepEqual(planStream(file('mp3', 320_000), { format: 'mp3', maxBitRate: 128 }), t('mp3', 128));
  assert.deepEqual(planStream(file('mp3', null), { format: 'mp3', maxBitRate: 128 }), t('mp3', 128));
  assert.deepEqual(planStream(file('mp3', 128_000), { format: 'mp3', timeOffset: 30 }), t('mp3', 128, 30));
  // Clamped to what each encoder is sensibly asked for.
  assert.deepEqual(planStream(file('flac', 900_000), { format: 'opus', maxBitRate: 8 }), t('opus', 16));
  assert.deepEqual(planStream(file('flac', 900_000), { format: 'opus', maxBitRate: 999 }), t('opus', 256));
  assert.deepEqual(planStream(file('flac', 900_000), { format: 'mp3', maxBitRate: 2000 }), t('mp3', 320));
});
