import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import {
  analyzeFile,
  createHybridDecoder,
  DecoderFallbackError,
  decoderBinary,
  DEFAULT_WASM_MAX_SECONDS,
  ffmpegDecoder,
  hybridDecoder,
  UndecodableAudioError,
  type Decoder,
  type TrackAnalysis,
} from '../src/index.ts';
import { synthesize, useTempDir } from './helpers.ts';

/** Both null, or both numbers within `tol`. */
const near = (
  actual: number | null | undefined,
  expected: number | null | undefined,
  tol: number,
  what: string,
) => {
  if (actual == null || expected == null) {
    assert.equal(actual ?? null, expected ?? null, what);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);
};

/** The hybrid and the ffmpeg analysis of one file agree as far as two decoders of one codec can. */
function assertSameAnalysis(ours: TrackAnalysis, ref: TrackAnalysis, what: string): void {
  assert.equal(ours.channels, ref.channels, what);
  assert.equal(ours.sampleRate, ref.sampleRate, what);
  near(ours.durationSeconds, ref.durationSeconds, 0.03, `${what} duration`);
  near(ours.loudness.integratedLufs, ref.loudness.integratedLufs, 0.05, `${what} integrated`);
  near(ours.loudness.truePeakDbtp, ref.loudness.truePeakDbtp, 0.1, `${what} true peak`);
  near(ours.loudness.samplePeakDbfs, ref.loudness.samplePeakDbfs, 0.1, `${what} sample peak`);
  near(ours.loudness.loudnessRangeLu, ref.loudness.loudnessRangeLu, 0.2, `${what} LRA`);
  near(ours.tempo?.bpm, ref.tempo?.bpm, ref.tempo ? ref.tempo.bpm * 0.01 : 0, `${what} tempo`);
  assert.equal(ours.key?.name, ref.key?.name, `${what} key`);
}

describe('hybrid decoder (the default)', () => {
  const tmp = useTempDir();
  let fixtures: FixtureSet;
  /** The hybrid decoder on a machine without tonegraph-decoder: WASM codecs for short files. */
  const withoutProcess = createHybridDecoder({ decoderBinary: () => null });
  before(async () => {
    assert.ok(decoderBinary(), 'tonegraph-decoder is built (npm run build:decoder; the stack builds it)');
    fixtures = await generateFixtures(path.join(tmp(), 'fixtures'), { durationSeconds: 6 });
  });

  test('every fixture format: the analysis of ffmpeg, identical through the decoder process', async () => {
    for (const track of fixtures.tracks) {
      const file = path.join(fixtures.dir, track.file);
      assert.deepEqual(
        await analyzeFile(file),
        await analyzeFile(file, { decoder: ffmpegDecoder }),
        track.ext,
      );
    }
  });

  test('without the decoder process: the same analysis as with ffmpeg (WAV and AIFF identical)', async () => {
    const rows = [];
    for (const track of fixtures.tracks) {
      const file = path.join(fixtures.dir, track.file);
      const ours = await analyzeFile(file, { decoder: withoutProcess });
      const ref = await analyzeFile(file, { decoder: ffmpegDecoder });
      rows.push({
        format: track.ext,
        lufs: ours.loudness.integratedLufs,
        'ffmpeg lufs': ref.loudness.integratedLufs,
        dBTP: ours.loudness.truePeakDbtp,
        'ffmpeg dBTP': ref.loudness.truePeakDbtp,
        bpm: ours.tempo?.bpm,
        'ffmpeg bpm': ref.tempo?.bpm,
        key: ours.key?.name,
        s: ours.durationSeconds,
        'ffmpeg s': ref.durationSeconds,
      });
      if (track.ext === 'wav' || track.ext === 'aiff') assert.deepEqual(ours, ref, track.ext);
      else assertSameAnalysis(ours, ref, track.ext);
    }
    console.table(rows);
  });

  test('without the decoder process, files over the WASM threshold, surround and MP3 go to ffmpeg: its analysis exactly', async () => {
    const long = await synthesize(path.join(tmp(), 'long.flac'), '0.3*sin(2*PI*330*t)', {
      rate: 8000,
      channels: 2,
      seconds: DEFAULT_WASM_MAX_SECONDS.flac! + 1,
      codec: ['-c:a', 'flac'],
    });
    const surround = await synthesize(path.join(tmp(), 'surround.ogg'), '0.3*sin(2*PI*330*t)', {
      channels: 6,
      seconds: 3,
      codec: ['-c:a', 'libvorbis'],
    });
    const mp3 = path.join(fixtures.dir, fixtures.tracks.find((t) => t.ext === 'mp3')!.file);
    for (const file of [long, surround, mp3]) {
      assert.deepEqual(
        await analyzeFile(file, { decoder: withoutProcess }),
        await analyzeFile(file, { decoder: ffmpegDecoder }),
        file,
      );
    }
    // The same short FLAC decoded in the worker differs from ffmpeg in the last bits at most.
    const flac = path.join(fixtures.dir, fixtures.tracks.find((t) => t.ext === 'flac')!.file);
    const wasmOnly = createHybridDecoder({ wasmMaxSeconds: { flac: 1e9 }, decoderBinary: () => null });
    assertSameAnalysis(
      await analyzeFile(long, { decoder: wasmOnly }),
      await analyzeFile(long, { decoder: ffmpegDecoder }),
      'long flac in WASM',
    );
    assertSameAnalysis(
      await analyzeFile(flac, { decoder: withoutProcess }),
      await analyzeFile(flac, { decoder: ffmpegDecoder }),
      'flac',
    );
  });

  test('a decoder that gives up midway: analyzeFile starts the file again with ffmpeg', async () => {
    const file = path.join(fixtures.dir, fixtures.tracks.find((t) => t.ext === 'wav')!.file);
    let calls = 0;
    const flaky: Decoder = {
      name: 'flaky',
      async *decode(p, format, options) {
        calls++;
        // Half the file, then a failure: the analysers have already seen audio.
        let n = 0;
        for await (const chunk of hybridDecoder.decode(p, format, options)) {
          if (n++ === 2) throw new DecoderFallbackError('codec lost sync');
          yield chunk;
        }
      },
    };
    assert.deepEqual(
      await analyzeFile(file, { decoder: flaky }),
      await analyzeFile(file, { decoder: ffmpegDecoder }),
    );
    assert.equal(calls, 1);
  });

  test('corrupt audio in the middle of a short FLAC, Ogg and Opus file: the same outcome as ffmpeg', async () => {
    for (const ext of ['flac', 'ogg', 'opus']) {
      const track = fixtures.tracks.find((t) => t.ext === ext)!;
      const bytes = Buffer.from(await readFile(path.join(fixtures.dir, track.file)));
      // Overwrite a stretch in the middle (past the headers) with noise.
      for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 2000; i++) bytes[i] = (i * 7919) & 0xff;
      const file = path.join(tmp(), `corrupt.${ext}`);
      await writeFile(file, bytes);
      const outcome = (decoder: Decoder) =>
        analyzeFile(file, { decoder }).then(
          (a) => a,
          (e: unknown) => {
            assert.ok(e instanceof UndecodableAudioError, `${ext}: ${String(e)}`);
            return 'undecodable' as const;
          },
        );
      const ref = await outcome(ffmpegDecoder);
      for (const decoder of [hybridDecoder, withoutProcess]) {
        const ours = await outcome(decoder);
        if (ours === 'undecodable' || ref === 'undecodable') assert.equal(ours, ref, ext);
        else assertSameAnalysis(ours, ref, `corrupt ${ext}`);
      }
    }
  });

  test('every format decodes without the ffmpeg command line; without the decoder process, all but MP3 and M4A', async () => {
    const path0 = process.env.PATH;
    // Nothing named ffmpeg can be found: any file that still decodes never needed it.
    process.env.PATH = tmp();
    try {
      for (const track of fixtures.tracks) {
        const file = path.join(fixtures.dir, track.file);
        assert.ok((await analyzeFile(file)).loudness.integratedLufs! < -5, track.ext);
        if (['m4a', 'mp3'].includes(track.ext)) {
          await assert.rejects(
            analyzeFile(file, { decoder: withoutProcess }),
            /ffmpeg is not installed/,
            track.ext,
          );
        } else {
          assert.ok(
            (await analyzeFile(file, { decoder: withoutProcess })).loudness.integratedLufs! < -5,
            track.ext,
          );
        }
      }
    } finally {
      process.env.PATH = path0;
    }
  });
});
