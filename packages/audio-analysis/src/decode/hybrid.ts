import { open } from 'node:fs/promises';
import { UndecodableAudioError } from '../errors.ts';
import type { PcmFormat } from '../track-analyser.ts';
import { createLibavDecoder, decoderBinary } from './libav.ts';
import { PcmHeaderError } from './pcm-header.ts';
import { decodePcm, openPcm } from './pcm.ts';
import { DecoderFallbackError, type DecodeOptions, type Decoder } from './types.ts';
import { decodeWithWasm, type WasmCodecName } from './wasm.ts';

export interface HybridDecoderOptions {
  /**
   * Longest file, by the container's stated length in seconds, that each
   * in-worker WASM codec decodes; longer ones (and files of unknown length)
   * go to ffmpeg, which decodes them on another core for less CPU per
   * second. Codecs left out are never used. Default: FLAC up to 60 s, Ogg
   * Vorbis and Opus up to 15 s (where the measured CPU per file crosses over),
   * no MP3 (libmpg123 is LGPL; see ingest/README.md, "Decoder choice").
   */
  readonly wasmMaxSeconds?: Partial<Record<WasmCodecName, number>>;
  /**
   * The tonegraph-decoder binary, or null for none; default `decoderBinary()`
   * (the built one unless `TONEGRAPH_DECODER` says otherwise). With it, every
   * file that is not WAV/AIFF goes to it and the WASM codecs are not used.
   */
  readonly decoderBinary?: () => string | null;
}

export const DEFAULT_WASM_MAX_SECONDS: Readonly<Partial<Record<WasmCodecName, number>>> = {
  flac: 60,
  vorbis: 15,
  opus: 15,
};

/**
 * The default decoder: the cheapest way each file can be decoded with the
 * same result as ffmpeg. WAV and AIFF PCM are read directly; every other
 * file goes to the thread's long-lived tonegraph-decoder process (FFmpeg's
 * libraries, the ffmpeg command line's samples without its start-up).
 * Where that binary is not built, short FLAC, Ogg Vorbis and Opus files
 * (mono or stereo) are decoded by the WASM codecs inside the worker.
 * Anything a fast path declines or fails on goes to the ffmpeg command
 * line, as if it had been asked in the first place. A fast path that fails
 * after it has yielded audio throws DecoderFallbackError, on which
 * `analyzeFile` starts the file again with ffmpeg.
 */
export function createHybridDecoder(options: HybridDecoderOptions = {}): Decoder {
  const maxSeconds = options.wasmMaxSeconds ?? DEFAULT_WASM_MAX_SECONDS;
  const binary = options.decoderBinary ?? decoderBinary;
  const libav = createLibavDecoder(binary);
  return {
    name: 'hybrid',
    async *decode(path: string, format: PcmFormat, decodeOptions: DecodeOptions = {}) {
      decodeOptions.signal?.throwIfAborted();
      const kind = await sniff(path);
      if (kind === 'pcm') {
        const source = await openPcm(path, format).catch((error: unknown) => {
          if (error instanceof PcmHeaderError) return null;
          throw error;
        });
        if (source) {
          yield* decodePcm(path, source, decodeOptions);
          return;
        }
      } else if (kind && format.channels <= 2 && binary() === null) {
        const seconds = decodeOptions.source?.durationSeconds ?? 0;
        if (seconds > 0 && seconds <= (maxSeconds[kind] ?? -1)) {
          let yielded = false;
          let frames = 0;
          try {
            for await (const chunk of decodeWithWasm(path, kind, format, decodeOptions, { strict: true })) {
              yielded = true;
              frames += chunk.length / format.channels;
              yield chunk;
            }
            // FLAC and Ogg state their length exactly. A codec that silently dropped or invented
            // frames (its parser skipping damaged ones) must not decide the file: ffmpeg does.
            const expected = Math.floor(seconds * format.sampleRate);
            const tolerance = Math.ceil(MAX_LENGTH_ERROR_SECONDS * format.sampleRate);
            // (An MP3's length is an estimate from its bitrate: nothing to hold it to.)
            if (kind !== 'mp3' && Math.abs(frames - expected) > tolerance) {
              throw new DecoderFallbackError(`decoded ${frames} of ${expected} frames`);
            }
            return;
          } catch (error) {
            decodeOptions.signal?.throwIfAborted();
            // A limit the file breaks is a verdict on the file, whoever decodes it.
            if (error instanceof UndecodableAudioError) throw error;
            if (yielded) {
              throw error instanceof DecoderFallbackError
                ? error
                : new DecoderFallbackError((error as Error).message, { cause: error });
            }
          }
        }
      }
      // The decoder process, or ffmpeg when there is none or it declines the file.
      yield* libav.decode(path, format, decodeOptions);
    },
  };
}

/** How far a WASM codec's output may differ from the container's length before ffmpeg is asked instead. */
const MAX_LENGTH_ERROR_SECONDS = 0.01;

export const hybridDecoder: Decoder = createHybridDecoder();

type Kind = 'pcm' | WasmCodecName;

/**
 * What the file is, from its first bytes (never its name): WAV/AIFF, FLAC,
 * Ogg Vorbis, Ogg Opus that the WASM codec decodes exactly as ffmpeg does
 * (channel mapping family 0, no output gain), MPEG audio; null otherwise.
 */
async function sniff(path: string): Promise<Kind | null> {
  const head = Buffer.alloc(48);
  const file = await open(path, 'r');
  let bytes: number;
  try {
    ({ bytesRead: bytes } = await file.read(head, 0, head.length, 0));
  } finally {
    await file.close();
  }
  const text = (start: number, end: number) => (bytes >= end ? head.toString('latin1', start, end) : '');
  const form = text(8, 12);
  if ((text(0, 4) === 'RIFF' && form === 'WAVE') || (text(0, 4) === 'FORM' && /^AIF[FC]$/.test(form))) {
    return 'pcm';
  }
  if (text(0, 4) === 'fLaC') return 'flac';
  if (text(0, 4) === 'OggS') {
    if (text(28, 35) === '\x01vorbis') return 'vorbis';
    // OpusHead: version, channels, pre-skip (2), input rate (4), output gain (2), mapping family.
    if (text(28, 36) === 'OpusHead' && bytes >= 47 && head.readInt16LE(44) === 0 && head[46] === 0) {
      return 'opus';
    }
    return null;
  }
  if (text(0, 3) === 'ID3' || (bytes >= 2 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0)) return 'mp3';
  return null;
}
