import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { UndecodableAudioError } from '../errors.ts';
import type { PcmFormat } from '../track-analyser.ts';
import { ffmpegDecoder } from './ffmpeg.ts';
import type { DecodeOptions, Decoder } from './types.ts';

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

/** The decoders are loaded on first use: their WASM modules cost memory in every worker. */
async function codecFor(ext: string): Promise<WasmCodec | null> {
  switch (ext) {
    case '.mp3': {
      const { MPEGDecoder } = await import('mpg123-decoder');
      return new MPEGDecoder();
    }
    case '.flac': {
      const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
      return new FLACDecoder();
    }
    case '.ogg':
    case '.oga': {
      const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
      return new OggVorbisDecoder();
    }
    case '.opus': {
      const { OggOpusDecoder } = await import('ogg-opus-decoder');
      return new OggOpusDecoder();
    }
    default:
      return null;
  }
}

/**
 * WASM decoders inside the worker (mpg123, libFLAC, libvorbis, libopus
 * compiled to WebAssembly): no child process, but no AAC, WAV or AIFF,
 * which fall back to ffmpeg. Kept for the decoder comparison in the
 * analysis benchmark; see ingest/README.md, "Decoder choice".
 */
export const wasmDecoder: Decoder = {
  name: 'wasm',
  decode: decodeWithWasm,
};

async function* decodeWithWasm(
  path: string,
  format: PcmFormat,
  options: DecodeOptions = {},
): AsyncGenerator<Float32Array> {
  const codec = await codecFor(extname(path).toLowerCase());
  if (!codec) {
    yield* ffmpegDecoder.decode(path, format, options);
    return;
  }
  await codec.ready;
  const ch = format.channels;
  let out = new Float32Array(0);
  let frames = 0;
  const whole: Float32Array[] = [];
  const interleave = (d: Decoded): Float32Array | null => {
    if (d.samplesDecoded === 0) return null;
    if (d.sampleRate !== format.sampleRate) {
      throw new UndecodableAudioError(
        path,
        `decoder gives ${d.sampleRate} Hz, container says ${format.sampleRate} Hz`,
      );
    }
    const n = d.samplesDecoded;
    if (out.length < n * ch) out = new Float32Array(n * ch);
    for (let c = 0; c < ch; c++) {
      // A decoder that reports fewer channels (mono stream in a stereo header) repeats its last one.
      const src = d.channelData[Math.min(c, d.channelData.length - 1)]!;
      for (let i = 0, j = c; i < n; i++, j += ch) out[j] = src[i]!;
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
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      const d = await codec.decode(new Uint8Array(data.buffer, data.byteOffset, data.length));
      firstError ||= d.errors[0]?.message ?? '';
      const chunk = interleave(d);
      if (chunk) yield chunk;
    }
    if (codec.flush) {
      const chunk = interleave(await codec.flush());
      if (chunk) yield chunk;
    }
    if (frames === 0) throw new UndecodableAudioError(path, firstError || 'no audio frames decoded');
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
