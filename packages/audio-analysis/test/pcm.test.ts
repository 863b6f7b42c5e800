import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  analyzeFile,
  ffmpegDecoder,
  isPermanentAnalysisError,
  pcmDecoder,
  UndecodableAudioError,
  type Decoder,
} from '../src/index.ts';
import { decodeAll, ffmpeg, useTempDir } from './helpers.ts';

/** Index of the first sample that differs (bit for bit), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

interface WavSpec {
  readonly tag?: number;
  readonly channels?: number;
  readonly rate?: number;
  readonly bits?: number;
  readonly blockAlign?: number;
  /** Write WAVE_FORMAT_EXTENSIBLE with this channel mask (subtype PCM, or float when tag is 3). */
  readonly mask?: number;
  readonly frames?: number;
  /** The data chunk's stated size; default the bytes written. */
  readonly dataSize?: number;
  readonly dataFirst?: boolean;
}

/** A hand-made WAV of 16-bit (or `bits`) ramps: for the headers ffmpeg would never write. */
function wav({
  tag = 1,
  channels = 2,
  rate = 44_100,
  bits = 16,
  blockAlign,
  mask,
  frames = 44_100,
  dataSize,
  dataFirst = false,
}: WavSpec): Buffer {
  const fmt = Buffer.alloc(mask === undefined ? 16 : 40);
  fmt.writeUInt16LE(mask === undefined ? tag : 0xfffe, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE((rate * channels * bits) / 8, 8);
  fmt.writeUInt16LE(blockAlign ?? (channels * bits) / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  if (mask !== undefined) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(bits, 18);
    fmt.writeUInt32LE(mask, 20);
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 26);
    fmt.writeUInt16LE(tag, 24);
  }
  const data = Buffer.alloc((frames * channels * bits) / 8);
  if (bits === 16) {
    for (let i = 0; i < data.length / 2; i++) data.writeInt16LE(((i * 37) % 60_000) - 30_000, 2 * i);
  }
  const chunk = (id: string, body: Buffer, size = body.length) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(size, 4);
    return Buffer.concat([h, body]);
  };
  const chunks = [chunk('fmt ', fmt), chunk('data', data, dataSize)];
  if (dataFirst) chunks.reverse();
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  return Buffer.concat([chunk('RIFF', body).subarray(0, 8), body]);
}

describe('WAV and AIFF read directly (pcmDecoder)', () => {
  const tmp = useTempDir();

  const variants = [
    ...['pcm_u8', 'pcm_s16le', 'pcm_s24le', 'pcm_s32le', 'pcm_f32le', 'pcm_f64le'].flatMap((codec) =>
      [1, 2, 6, 7, 8].map((channels) => ({ ext: 'wav', codec, channels })),
    ),
    ...['pcm_s8', 'pcm_s16be', 'pcm_s24be', 'pcm_s32be', 'pcm_f32be', 'pcm_f64be', 'pcm_s16le'].flatMap(
      (codec) => [1, 2, 5, 6, 7, 8].map((channels) => ({ ext: 'aiff', codec, channels })),
    ),
  ];

  test('8/16/24/32-bit integer and float WAV and AIFF, mono to 7.1: the same samples as ffmpeg, bit for bit', async () => {
    for (const { ext, codec, channels } of variants) {
      const file = path.join(tmp(), `${codec}-${channels}.${ext}`);
      // A different tone in each channel, over full scale (float formats must keep the overs).
      const exprs = Array.from({ length: channels }, (_, c) => `1.2*sin(2*PI*${220 + 110 * c}*t)`).join('|');
      await ffmpeg(
        ...['-v', 'error', '-f', 'lavfi', '-i', `aevalsrc=exprs=${exprs}:s=44100:d=1.5`],
        ...['-c:a', codec, file],
      );
      const direct = await decodeAll(pcmDecoder, file);
      const reference = await decodeAll(ffmpegDecoder, file);
      assert.equal(direct.length, 1.5 * 44_100 * channels, `${codec} ${channels} ch`);
      const at = firstDifference(direct, reference);
      assert.equal(at, -1, `${codec} x ${channels} differs at ${at}: ${direct[at]} vs ${reference[at]}`);
      if (codec.startsWith('pcm_f')) {
        assert.ok(
          direct.some((v) => v > 1.19),
          `${codec}: overs are kept, never clipped`,
        );
      }
    }
  });

  test('channel layouts: 5.1 and 5.1(side) masks are read directly, quad (which ffmpeg remixes) is left to ffmpeg', async () => {
    const direct51 = path.join(tmp(), 'ext-51.wav');
    await writeFile(direct51, wav({ channels: 6, mask: 0x3f, frames: 4410 }));
    const side51 = path.join(tmp(), 'ext-51side.wav');
    await writeFile(side51, wav({ channels: 6, mask: 0x60f, frames: 4410 }));
    for (const file of [direct51, side51]) {
      assert.equal(
        firstDifference(await decodeAll(pcmDecoder, file), await decodeAll(ffmpegDecoder, file)),
        -1,
      );
    }
    // ffmpeg remixes quad (FL FR BL BR) at -ac 4, so reading it raw would not give ffmpeg's channels.
    const quad = path.join(tmp(), 'ext-quad.wav');
    await writeFile(quad, wav({ channels: 4, mask: 0x33, frames: 4410 }));
    await assert.rejects(decodeAll(pcmDecoder, quad), /channel mask 0x33/);
    // The same layout in an AIFF channel layout chunk.
    const quadAiff = path.join(tmp(), 'quad.aiff');
    await ffmpeg(
      ...['-v', 'error', '-f', 'lavfi', '-i', 'aevalsrc=exprs=0.1|0.2|0.3|0.4:s=44100:d=0.5'],
      ...['-af', 'aformat=channel_layouts=quad', '-c:a', 'pcm_s16be', quadAiff],
    );
    await assert.rejects(decodeAll(pcmDecoder, quadAiff), /AIFF channel layout tag/);
    for (const file of [quad, quadAiff]) {
      assert.deepEqual(await analyzeFile(file), await analyzeFile(file, { decoder: ffmpegDecoder }), file);
    }
  });

  test('the default decoder gives the same analysis as ffmpeg for WAV and AIFF', async () => {
    for (const name of ['pcm_s16le-2.wav', 'pcm_s24le-6.wav', 'pcm_f32le-1.wav', 'pcm_s16be-2.aiff']) {
      const file = path.join(tmp(), name);
      assert.deepEqual(await analyzeFile(file), await analyzeFile(file, { decoder: ffmpegDecoder }), name);
    }
  });

  test('truncated and lying headers are UndecodableAudioError; the default decoder agrees with ffmpeg', async () => {
    const good = wav({ frames: 44_100 });
    const cases: Record<string, { bytes: Buffer; reason: RegExp }> = {
      'header cut short': { bytes: good.subarray(0, 30), reason: /cut short|no fmt/ },
      'no data chunk': { bytes: good.subarray(0, 36), reason: /no data chunk/ },
      'block align that does not fit the channels': {
        bytes: wav({ blockAlign: 3 }),
        reason: /block align 3/,
      },
      'zero channels': { bytes: wav({ channels: 0, blockAlign: 0 }), reason: /0 channels/ },
      'data before fmt': { bytes: wav({ dataFirst: true }), reason: /data chunk before/ },
      '12-bit samples': { bytes: wav({ bits: 12, blockAlign: 4 }), reason: /12-bit/ },
      'an ADPCM format tag': { bytes: wav({ tag: 2 }), reason: /format tag 0x2/ },
    };
    for (const [what, { bytes, reason }] of Object.entries(cases)) {
      const file = path.join(tmp(), `lying-${what.replaceAll(' ', '-')}.wav`);
      await writeFile(file, bytes);
      await assert.rejects(
        pcmDecoder.decode(file, { sampleRate: 44_100, channels: 2 })[Symbol.asyncIterator]().next(),
        (error: unknown) => {
          assert.ok(error instanceof UndecodableAudioError, `${what}: ${String(error)}`);
          assert.ok(isPermanentAnalysisError(error));
          assert.match(error.reason, reason, what);
          return true;
        },
      );
      // Through the default decoder such a file goes to ffmpeg: whatever ffmpeg makes of it.
      const outcome = (p: Promise<unknown>) =>
        p.then(
          (a) => a,
          (e: unknown) => {
            assert.ok(e instanceof UndecodableAudioError, `${what}: ${String(e)}`);
            return 'undecodable';
          },
        );
      assert.deepEqual(
        await outcome(analyzeFile(file)),
        await outcome(analyzeFile(file, { decoder: ffmpegDecoder })),
        what,
      );
    }
  });

  test('data cut short: the frames present are read, and the analysis agrees with ffmpeg', async () => {
    const file = path.join(tmp(), 'cut.wav');
    // The data chunk says 2 s, the file holds 1 s and half a frame.
    await writeFile(file, Buffer.concat([wav({ frames: 44_100, dataSize: 88_200 * 4 }), Buffer.alloc(3)]));
    assert.equal((await decodeAll(pcmDecoder, file)).length, 44_100 * 2);
    assert.deepEqual(await analyzeFile(file), await analyzeFile(file, { decoder: ffmpegDecoder }));
  });

  test('limits and aborts stop the direct reader', async () => {
    const file = path.join(tmp(), 'pcm_s16le-2.wav');
    const format = { sampleRate: 44_100, channels: 2 };
    const read = async (options: Parameters<Decoder['decode']>[2]) => {
      for await (const _ of pcmDecoder.decode(file, format, options)) void _;
    };
    await assert.rejects(read({ maxFrames: 1000 }), /longer than the limit of 1000 frames/);
    await assert.rejects(read({ signal: AbortSignal.abort(new Error('stop')) }), /stop/);
  });
});
