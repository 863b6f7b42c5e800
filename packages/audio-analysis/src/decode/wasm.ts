import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { UndecodableAudioError } from '../errors.ts';
import type { PcmFormat } from '../track-analyser.ts';
import { ffmpegDecoder } from './ffmpeg.ts';
import { OggPageChecker } from './ogg-pages.ts';
import { DecoderFallbackError, type DecodeOptions, type Decoder } from './types.ts';

interface Decoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

interface WasmCodec {
  ready: Promise<void>;
  decode(data: Uint8Array): Decoded | Promise<Decoded>;
  flush?(): Promise<Decoded>;
  free(): void;
}

/** What FLACDecoder and OggVorbisDecoder (0.2 / 0.1) expose besides their typed API. */
interface DrainableCodec {
  _codecParser?: { flush(): Iterable<unknown> } | null;
  decodeFrames?(frames: unknown[]): Promise<Decoded>;
  decodeOggPages?(pages: unknown[]): Promise<Decoded>;
}

/**
 * The audio still held by the codec's parser at the end of the file. The
 * libraries' own flush() then resets the codec for a next stream, which
 * instantiates its WASM module again: a second 16 MB WebAssembly.Memory
 * per file that only a full GC reclaims — on short files that GC cost
 * more than decoding. Where the parser and a frame/page decode method are
 * reachable, drain them without the reset; otherwise flush().
 */
async function drain(codec: WasmCodec): Promise<Decoded | undefined> {
  const c = codec as WasmCodec & DrainableCodec;
  const parser = c._codecParser;
  if (parser === null) return undefined;
  if (parser && typeof parser.flush === 'function') {
    if (typeof c.decodeFrames === 'function') return c.decodeFrames([...parser.flush()]);
    if (typeof c.decodeOggPages === 'function') return c.decodeOggPages([...parser.flush()]);
  }
  return codec.flush?.();
}

export type WasmCodecName = 'mp3' | 'flac' | 'vorbis' | 'opus';

/** The decoders are loaded on first use: their WASM modules cost memory in every worker. */
async function createCodec(name: WasmCodecName): Promise<WasmCodec> {
  switch (name) {
    case 'mp3': {
      const { MPEGDecoder } = await import('mpg123-decoder');
      return new MPEGDecoder();
    }
    case 'flac': {
      const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
      return new FLACDecoder();
    }
    case 'vorbis': {
      const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
      return new OggVorbisDecoder();
    }
    case 'opus': {
      const { OggOpusDecoder } = await import('ogg-opus-decoder');
      return new OggOpusDecoder();
    }
  }
}

const CODEC_BY_EXTENSION: Readonly<Record<string, WasmCodecName>> = {
  '.mp3': 'mp3',
  '.flac': 'flac',
  '.ogg': 'vorbis',
  '.oga': 'vorbis',
  '.opus': 'opus',
};

/**
 * WASM decoders inside the worker (mpg123, libFLAC, libvorbis, libopus
 * compiled to WebAssembly), picked by file extension: no child process,
 * but no AAC, WAV or AIFF, which fall back to ffmpeg. Kept for the decoder
 * comparison in the analysis benchmark; `hybridDecoder` uses the same
 * decoders more carefully. See ingest/README.md, "Decoder choice".
 */
export const wasmDecoder: Decoder = {
  name: 'wasm',
  decode: (path, format, options) => {
    const codec = CODEC_BY_EXTENSION[extname(path).toLowerCase()];
    return codec ? decodeWithWasm(path, codec, format, options) : ffmpegDecoder.decode(path, format, options);
  },
};

/**
 * Decodes with one WASM codec. By default decode errors are tolerated as
 * the libraries do (the audio gets a gap) and a decoder with fewer channels
 * than the container repeats its last one. With `strict`, any decode error,
 * a rate or channel count other than `format`'s, or no audio at all throws
 * DecoderFallbackError instead, so that ffmpeg can decide about the file.
 */
export async function* decodeWithWasm(
  path: string,
  codecName: WasmCodecName,
  format: PcmFormat,
  options: DecodeOptions = {},
  { strict = false } = {},
): AsyncGenerator<Float32Array> {
  const codec = await createCodec(codecName);
  await codec.ready;
  const ch = format.channels;
  let out = new Float32Array(0);
  let frames = 0;
  const whole: Float32Array[] = [];
  const interleave = (d: Decoded): Float32Array | null => {
    if (strict && d.errors.length > 0) throw new DecoderFallbackError(d.errors[0]!.message);
    if (d.samplesDecoded === 0) return null;
    if (d.sampleRate !== format.sampleRate) {
      const reason = `decoder gives ${d.sampleRate} Hz, container says ${format.sampleRate} Hz`;
      throw strict ? new DecoderFallbackError(reason) : new UndecodableAudioError(path, reason);
    }
    if (strict && d.channelData.length !== ch) {
      throw new DecoderFallbackError(`decoder gives ${d.channelData.length} channels, container says ${ch}`);
    }
    const n = d.samplesDecoded;
    if (out.length < n * ch) out = new Float32Array(n * ch);
    if (ch === 2 && d.channelData.length === 2) {
      const [left, right] = d.channelData as [Float32Array, Float32Array];
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        out[j] = left[i]!;
        out[j + 1] = right[i]!;
      }
    } else {
      for (let c = 0; c < ch; c++) {
        // A decoder that reports fewer channels (mono stream in a stereo header) repeats its last one.
        const src = d.channelData[Math.min(c, d.channelData.length - 1)]!;
        for (let i = 0, j = c; i < n; i++, j += ch) out[j] = src[i]!;
      }
    }
    frames += n;
    if (options.maxFrames !== undefined && frames > options.maxFrames) {
      throw new UndecodableAudioError(path, `longer than the limit of ${options.maxFrames} frames`);
    }
    const chunk = out.subarray(0, n * ch);
    if (options.wholeFile) {
      whole.push(chunk.slice());
      return null;
    }
    return chunk;
  };
  const stream = createReadStream(path, { highWaterMark: 64 * 1024, signal: options.signal });
  let firstError = '';
  // The Ogg decoders do not check page checksums: in strict mode, check them here.
  const pages = strict && (codecName === 'vorbis' || codecName === 'opus') ? new OggPageChecker() : undefined;
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
      pages?.push(bytes);
      const d = await codec.decode(bytes);
      firstError ||= d.errors[0]?.message ?? '';
      const chunk = interleave(d);
      if (chunk) yield chunk;
    }
    pages?.end();
    const rest = await drain(codec);
    if (rest) {
      const chunk = interleave(rest);
      if (chunk) yield chunk;
    }
    if (frames === 0) {
      const reason = firstError || 'no audio frames decoded';
      throw strict ? new DecoderFallbackError(reason) : new UndecodableAudioError(path, reason);
    }
    if (options.wholeFile) {
      const all = new Float32Array(frames * ch);
      let offset = 0;
      for (const part of whole.splice(0)) {
        all.set(part, offset);
        offset += part.length;
      }
      yield all;
    }
  } finally {
    stream.destroy();
    codec.free();
  }
}
