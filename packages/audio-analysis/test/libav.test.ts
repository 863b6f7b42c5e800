import assert from 'node:assert/strict';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import {
  analyzeFile,
  createLibavDecoder,
  decoderBinary,
  ffmpegDecoder,
  libavDecoder,
  probeAudio,
  UndecodableAudioError,
  type Decoder,
  type PcmFormat,
} from '../src/index.ts';
import { decodeAll, decoderProcesses, decoderProcessesGone, synthesize, useTempDir } from './helpers.ts';

describe('tonegraph-decoder (the decoder process)', () => {
  const tmp = useTempDir();
  let fixtures: FixtureSet;
  const fixture = (ext: string) => path.join(fixtures.dir, fixtures.tracks.find((t) => t.ext === ext)!.file);
  const formats = new Map<string, PcmFormat>();
  const formatOf = (ext: string): PcmFormat => formats.get(ext)!;
  before(async () => {
    assert.ok(decoderBinary(), 'tonegraph-decoder is built (npm run build:decoder; the stack builds it)');
    fixtures = await generateFixtures(path.join(tmp(), 'fixtures'), { durationSeconds: 5 });
    for (const track of fixtures.tracks) {
      const { sampleRate, channels } = await probeAudio(path.join(fixtures.dir, track.file));
      formats.set(track.ext, { sampleRate, channels });
    }
  });

  test('every fixture format: exactly the samples of the ffmpeg command line', async () => {
    for (const track of fixtures.tracks) {
      const file = path.join(fixtures.dir, track.file);
      const format = formatOf(track.ext);
      const ours = await decodeAll(libavDecoder, file, format);
      const ref = await decodeAll(ffmpegDecoder, file, format);
      assert.ok(ref.length > format.sampleRate, track.ext);
      assert.deepEqual(Buffer.from(ours.buffer), Buffer.from(ref.buffer), `${track.ext}: PCM differs`);
    }
  });

  test('one process decodes file after file; the analysis is the ffmpeg analysis', async () => {
    const seen = new Set<number>();
    const watched: Decoder = {
      name: 'watched',
      async *decode(p, format, options) {
        let first = true;
        for await (const chunk of libavDecoder.decode(p, format, options)) {
          if (first) for (const pid of await decoderProcesses()) seen.add(pid);
          first = false;
          yield chunk;
        }
      },
    };
    for (const track of fixtures.tracks) {
      const file = path.join(fixtures.dir, track.file);
      assert.deepEqual(
        await analyzeFile(file, { decoder: watched }),
        await analyzeFile(file, { decoder: ffmpegDecoder }),
        track.ext,
      );
    }
    assert.equal(
      seen.size,
      1,
      `decoder processes for ${fixtures.tracks.length} files: ${[...seen].join(', ')}`,
    );
  });

  test('surround, files it declines (another rate) and damaged ones: the outcome of ffmpeg', async () => {
    const surround = await synthesize(path.join(tmp(), 'surround.m4a'), '0.3*sin(2*PI*330*t)', {
      channels: 6,
      seconds: 2,
      codec: ['-c:a', 'aac'],
    });
    assert.deepEqual(
      await decodeAll(libavDecoder, surround, { sampleRate: 48_000, channels: 6 }),
      await decodeAll(ffmpegDecoder, surround, { sampleRate: 48_000, channels: 6 }),
    );
    const mp3 = fixture('mp3');
    const resampled = { sampleRate: 22_050, channels: 2 };
    assert.deepEqual(
      await decodeAll(libavDecoder, mp3, resampled),
      await decodeAll(ffmpegDecoder, mp3, resampled),
    );
    const path0 = process.env.PATH;
    process.env.PATH = tmp();
    try {
      // Without ffmpeg on the PATH: proof that the process declined the file rather than decoding it.
      await assert.rejects(decodeAll(libavDecoder, mp3, resampled), /ffmpeg is not installed/);
    } finally {
      process.env.PATH = path0;
    }
    const outcome = (file: string, decoder: Decoder) =>
      analyzeFile(file, { decoder }).then(
        (a) => a,
        (e: unknown) => {
          assert.ok(e instanceof UndecodableAudioError, String(e));
          return `undecodable: ${e.reason}`;
        },
      );
    for (const ext of ['mp3', 'm4a', 'flac', 'ogg', 'opus']) {
      const bytes = Buffer.from(await readFile(fixture(ext)));
      for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 2000; i++) bytes[i] = (i * 7919) & 0xff;
      const damaged = path.join(tmp(), `damaged.${ext}`);
      await writeFile(damaged, bytes);
      assert.deepEqual(await outcome(damaged, libavDecoder), await outcome(damaged, ffmpegDecoder), ext);
    }
    const random = path.join(tmp(), 'random.mp3');
    await writeFile(random, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 2654435761) >>> 24)));
    assert.deepEqual(await outcome(random, libavDecoder), await outcome(random, ffmpegDecoder));
    // Declining leaves the process in step for the next file.
    assert.deepEqual(
      await decodeAll(libavDecoder, fixture('flac'), formatOf('flac')),
      await decodeAll(ffmpegDecoder, fixture('flac'), formatOf('flac')),
    );
  });

  test('a path that looks like an option, a protocol or holds a newline is read as a local file', async () => {
    for (const name of ['-i.mp3', 'http:x.mp3', 'two\nlines.mp3']) {
      const link = path.join(tmp(), name);
      await symlink(fixture('mp3'), link);
      assert.deepEqual(
        await decodeAll(libavDecoder, link, formatOf('mp3')),
        await decodeAll(ffmpegDecoder, fixture('mp3'), formatOf('mp3')),
        JSON.stringify(name),
      );
    }
  });

  test('the process killed mid-file: the analysis starts again with ffmpeg; the next file gets a new process', async () => {
    const long = await synthesize(path.join(tmp(), 'long.mp3'), '0.3*sin(2*PI*440*t)', {
      rate: 44_100,
      channels: 2,
      seconds: 60,
      codec: ['-c:a', 'libmp3lame'],
    });
    let killed: number[] = [];
    const killer: Decoder = {
      name: 'killer',
      async *decode(p, format, options) {
        let n = 0;
        for await (const chunk of libavDecoder.decode(p, format, options)) {
          if (n++ === 3 && killed.length === 0) {
            killed = await decoderProcesses();
            for (const pid of killed) process.kill(pid, 'SIGKILL');
          }
          yield chunk;
        }
      },
    };
    const ref = await analyzeFile(long, { decoder: ffmpegDecoder });
    assert.deepEqual(await analyzeFile(long, { decoder: killer }), ref);
    assert.ok(killed.length > 0);
    await decoderProcessesGone(killed);
    assert.deepEqual(await analyzeFile(long, { decoder: libavDecoder }), ref);
  });

  test('abort and the frame limit stop the process mid-file; nothing is left running', async () => {
    const long = await synthesize(path.join(tmp(), 'abort.flac'), '0.3*sin(2*PI*440*t)', {
      rate: 44_100,
      channels: 2,
      seconds: 120,
      codec: ['-c:a', 'flac'],
    });
    const format = { sampleRate: 44_100, channels: 2 };
    const controller = new AbortController();
    let busy: number[] = [];
    await assert.rejects(
      (async () => {
        let n = 0;
        for await (const _ of libavDecoder.decode(long, format, { signal: controller.signal })) {
          if (n++ === 2) {
            busy = await decoderProcesses();
            controller.abort(new Error('stop'));
          }
        }
      })(),
      /stop/,
    );
    assert.ok(busy.length > 0);
    await decoderProcessesGone(busy);
    await assert.rejects(
      decodeAll(
        { name: 'limited', decode: (p, f) => libavDecoder.decode(p, f, { maxFrames: 44_100 }) },
        long,
        format,
      ),
      (e: unknown) => e instanceof UndecodableAudioError && /longer than the limit/.test(e.reason),
    );
    // Still decoding after both.
    assert.deepEqual(
      await decodeAll(libavDecoder, fixture('ogg'), formatOf('ogg')),
      await decodeAll(ffmpegDecoder, fixture('ogg'), formatOf('ogg')),
    );
  });

  test('without the binary (TONEGRAPH_DECODER=off, or a missing file) every file goes to ffmpeg', async () => {
    const path0 = process.env.PATH;
    const configured = process.env.TONEGRAPH_DECODER;
    // Nothing named ffmpeg can be found: a file that decodes did not need it.
    process.env.PATH = tmp();
    try {
      const mp3 = fixture('mp3');
      assert.ok((await decodeAll(libavDecoder, mp3, formatOf('mp3'))).length > 0);
      for (const setting of ['off', path.join(tmp(), 'missing-decoder')]) {
        process.env.TONEGRAPH_DECODER = setting;
        await assert.rejects(
          decodeAll(libavDecoder, mp3, formatOf('mp3')),
          /ffmpeg is not installed/,
          setting,
        );
      }
      const none = createLibavDecoder(() => null);
      await assert.rejects(decodeAll(none, mp3, formatOf('mp3')), /ffmpeg is not installed/);
    } finally {
      process.env.PATH = path0;
      if (configured === undefined) delete process.env.TONEGRAPH_DECODER;
      else process.env.TONEGRAPH_DECODER = configured;
    }
  });
});
