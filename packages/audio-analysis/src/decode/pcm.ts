import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { UndecodableAudioError } from '../errors.ts';
import type { PcmFormat } from '../track-analyser.ts';
import { PcmHeaderError, readPcmLayout, type PcmLayout } from './pcm-header.ts';
import { CHUNK_SAMPLES, type DecodeOptions, type Decoder } from './types.ts';

/** An uncompressed file opened for reading, its header checked against the format asked for. */
export interface PcmSource {
  readonly file: FileHandle;
  readonly layout: PcmLayout;
  /** Whole frames the file holds: what the header states, or less when the file was cut short. */
  readonly frames: number;
}

/**
 * Opens a WAV or AIFF file and reads its header. Throws PcmHeaderError
 * (and closes the file) when the reader does not take it or when its
 * channels or rate differ from `format`, which came from the prober: the
 * caller then leaves the file to ffmpeg.
 */
export async function openPcm(path: string, format: PcmFormat): Promise<PcmSource> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const layout = await readPcmLayout(file, size);
    if (layout.channels !== format.channels || layout.sampleRate !== format.sampleRate) {
      throw new PcmHeaderError(
        'unsupported',
        `header says ${layout.sampleRate} Hz x ${layout.channels}, asked for ${format.sampleRate} Hz x ${format.channels}`,
      );
    }
    const frameBytes = layout.bytesPerSample * layout.channels;
    const available = Math.max(0, Math.min(layout.dataBytes, size - layout.dataOffset));
    return { file, layout, frames: Math.floor(available / frameBytes) };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/**
 * Reads the samples of an opened file as interleaved float32, chunk by
 * chunk through one reused buffer, exactly as ffmpeg converts them
 * (integers scaled by 2^-(bits-1), floats never clipped). Closes the file.
 * A file cut short yields what it holds, as ffmpeg does.
 */
export async function* decodePcm(
  path: string,
  source: PcmSource,
  options: DecodeOptions = {},
): AsyncGenerator<Float32Array> {
  const { file, layout } = source;
  try {
    const frameBytes = layout.bytesPerSample * layout.channels;
    const chunkFrames = Math.max(1, Math.floor(CHUNK_SAMPLES / layout.channels));
    const raw = Buffer.allocUnsafeSlow(chunkFrames * frameBytes);
    const out = new Float32Array(chunkFrames * layout.channels);
    const convert = converterFor(layout);
    const whole: Float32Array[] = [];
    let done = 0;
    while (done < source.frames) {
      options.signal?.throwIfAborted();
      const want = Math.min(chunkFrames, source.frames - done) * frameBytes;
      const { bytesRead } = await file.read(raw, 0, want, layout.dataOffset + done * frameBytes);
      const frames = Math.floor(bytesRead / frameBytes);
      if (frames === 0) break; // the file shrank since it was opened
      const samples = frames * layout.channels;
      convert(raw, out, samples);
      done += frames;
      if (options.maxFrames !== undefined && done > options.maxFrames) {
        throw new UndecodableAudioError(path, `longer than the limit of ${options.maxFrames} frames`);
      }
      if (options.wholeFile) whole.push(out.slice(0, samples));
      else yield out.subarray(0, samples);
    }
    options.signal?.throwIfAborted();
    if (done === 0) throw new UndecodableAudioError(path, 'no audio frames decoded');
    if (options.wholeFile) {
      const all = new Float32Array(done * layout.channels);
      let offset = 0;
      for (const part of whole.splice(0)) {
        all.set(part, offset);
        offset += part.length;
      }
      yield all;
    }
  } finally {
    await file.close();
  }
}

/**
 * WAV and AIFF files read directly, without a decoder process: for the
 * files `readPcmLayout` takes. Anything else is an UndecodableAudioError;
 * `hybridDecoder` hands such files to ffmpeg instead.
 */
export const pcmDecoder: Decoder = {
  name: 'pcm',
  async *decode(path, format, options = {}) {
    options.signal?.throwIfAborted();
    let source: PcmSource;
    try {
      source = await openPcm(path, format);
    } catch (error) {
      if (error instanceof PcmHeaderError)
        throw new UndecodableAudioError(path, error.message, { cause: error });
      throw error;
    }
    yield* decodePcm(path, source, options);
  },
};

type Converter = (raw: Buffer, out: Float32Array, samples: number) => void;

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** The sample conversion for a layout; aligned typed-array views where the byte order allows. */
function converterFor(layout: PcmLayout): Converter {
  const { encoding, bytesPerSample: size, littleEndian: le } = layout;
  const native = le === LITTLE_ENDIAN_HOST;
  if (encoding === 'float') {
    if (size === 4 && native) {
      return (raw, out, n) => out.set(new Float32Array(raw.buffer, raw.byteOffset, n));
    }
    if (size === 8 && native) {
      return (raw, out, n) => out.set(new Float64Array(raw.buffer, raw.byteOffset, n));
    }
    return size === 4
      ? (raw, out, n) => {
          for (let i = 0; i < n; i++) out[i] = le ? raw.readFloatLE(4 * i) : raw.readFloatBE(4 * i);
        }
      : (raw, out, n) => {
          for (let i = 0; i < n; i++) out[i] = le ? raw.readDoubleLE(8 * i) : raw.readDoubleBE(8 * i);
        };
  }
  switch (size) {
    case 1:
      return encoding === 'uint'
        ? (raw, out, n) => {
            for (let i = 0; i < n; i++) out[i] = (raw[i]! - 128) / 128;
          }
        : (raw, out, n) => {
            for (let i = 0; i < n; i++) out[i] = ((raw[i]! << 24) >> 24) / 128;
          };
    case 2:
      if (native) {
        return (raw, out, n) => {
          const s = new Int16Array(raw.buffer, raw.byteOffset, n);
          for (let i = 0; i < n; i++) out[i] = s[i]! / 32768;
        };
      }
      return (raw, out, n) => {
        for (let i = 0, j = 0; i < n; i++, j += 2) {
          const v = le ? raw[j]! | (raw[j + 1]! << 8) : (raw[j]! << 8) | raw[j + 1]!;
          out[i] = ((v << 16) >> 16) / 32768;
        }
      };
    case 3:
      return (raw, out, n) => {
        for (let i = 0, j = 0; i < n; i++, j += 3) {
          const v = le
            ? raw[j]! | (raw[j + 1]! << 8) | (raw[j + 2]! << 16)
            : (raw[j]! << 16) | (raw[j + 1]! << 8) | raw[j + 2]!;
          out[i] = ((v << 8) >> 8) / 8388608;
        }
      };
    default:
      if (native) {
        return (raw, out, n) => {
          const s = new Int32Array(raw.buffer, raw.byteOffset, n);
          for (let i = 0; i < n; i++) out[i] = s[i]! / 2147483648;
        };
      }
      return (raw, out, n) => {
        for (let i = 0; i < n; i++)
          out[i] = (le ? raw.readInt32LE(4 * i) : raw.readInt32BE(4 * i)) / 2147483648;
      };
  }
}
