import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { analyzeFile, isPermanentAnalysisError, UndecodableAudioError, wasmDecoder } from '../src/index.ts';
import { ffmpeg, useTempDir } from './helpers.ts';

describe('undecodable input gives UndecodableAudioError', () => {
  const tmp = useTempDir();
  let fixtures: FixtureSet;
  before(async () => {
    fixtures = await generateFixtures(tmp(), { durationSeconds: 6 });
  });

  const rejectsTyped = async (file: string, reason: RegExp, options = {}) => {
    await assert.rejects(analyzeFile(file, options), (error: unknown) => {
      assert.ok(error instanceof UndecodableAudioError, `${file}: ${String(error)}`);
      assert.ok(isPermanentAnalysisError(error));
      assert.match(error.reason, reason);
      assert.equal(error.path, file);
      return true;
    });
  };

  test('audio the analysers cannot measure (below 8 kHz) is refused before decoding', async () => {
    const file = path.join(tmp(), 'low-rate.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=4000:duration=2', '-ac', '4', file);
    await rejectsTyped(file, /unsupported audio format: 4000 Hz, 4 channels/);
  });

  test('broken and non-audio fixtures', async () => {
    const expected: Record<string, RegExp> = {
      'zero-byte': /empty file/,
      truncated: /End of file|no audio frames|Invalid data/i,
      // Random bytes may look like an MPEG frame header to the prober; then ffmpeg says why not.
      'random-bytes': /no audio stream|not a supported audio file|mp3|Invalid data|unsupported audio format/,
      'text-as-audio': /no audio stream|not a supported audio file/,
      hidden: /End of file|no audio frames|Invalid data/i,
      'oversized-tag': /not a supported audio file: ID3v2 tag size/,
    };
    for (const other of fixtures.others) {
      const reason = expected[other.kind];
      if (reason) await rejectsTyped(path.join(fixtures.dir, other.file), reason);
    }
    await rejectsTyped(path.join(fixtures.dir, 'Album One', 'notes.txt'), /not a supported audio file/);
    await rejectsTyped(path.join(fixtures.dir, 'cover.png'), /not a supported audio file|no audio stream/);
    await rejectsTyped(path.join(fixtures.dir, 'missing.flac'), /ENOENT/);
    await rejectsTyped(fixtures.dir, /not a regular file/);
  });

  test('an MP3 under a .flac name is still analysed: ffprobe stands in when music-metadata cannot read it', async () => {
    const renamed = fixtures.others.find((o) => o.kind === 'wrong-extension');
    assert.ok(renamed, 'the fixture set has a file with a wrong extension');
    const a = await analyzeFile(path.join(fixtures.dir, renamed.file));
    assert.equal(a.channels, 2);
    assert.ok(a.loudness.integratedLufs !== null && a.durationSeconds > 3);
  });

  test('a FIFO is refused before anything blocks on it', async () => {
    const fifo = path.join(tmp(), 'pipe.flac');
    await promisify(execFile)('mkfifo', [fifo]);
    await rejectsTyped(fifo, /not a regular file/);
  });

  // A WAV, Ogg or MP3 cut short is indistinguishable from a shorter file to the prober (its
  // length comes from the file size or the last page), so it is analysed as what it holds.
  test('files cut in half: FLAC and M4A are refused as truncated', async () => {
    for (const track of fixtures.tracks.filter((t) => ['flac', 'm4a'].includes(t.ext))) {
      const whole = await readFile(path.join(fixtures.dir, track.file));
      const half = path.join(tmp(), `half.${track.ext}`);
      await writeFile(half, whole.subarray(0, whole.length >> 1));
      await rejectsTyped(
        half,
        /truncated|End of file|Invalid data|no audio frames|not a supported audio file/i,
      );
    }
  });

  test('the wasm decoder reports the same way', async () => {
    const truncated = fixtures.others.find((o) => o.kind === 'truncated')!;
    await rejectsTyped(path.join(fixtures.dir, truncated.file), /no audio frames|truncated/i, {
      decoder: wasmDecoder,
    });
  });

  test('size and duration limits', async () => {
    const flac = path.join(fixtures.dir, fixtures.tracks.find((t) => t.ext === 'flac')!.file);
    await rejectsTyped(flac, /over the limit of 1000/, { maxFileBytes: 1000 });
    await rejectsTyped(flac, /over the limit of 5 s/, { maxDurationSeconds: 5 });
    const ok = await analyzeFile(flac, { maxDurationSeconds: 6, maxFileBytes: 10_000_000 });
    assert.equal(ok.durationSeconds, 6);
  });
});
