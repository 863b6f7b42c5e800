import { UndecodableAudioError } from '../errors.ts';
import { CHUNK_SAMPLES } from './types.ts';

/**
 * Turns a byte stream of interleaved little-endian float32 PCM (a decoder
 * process's output, split wherever its pipe split it) into aligned,
 * whole-frame Float32Array chunks of about CHUNK_SAMPLES samples, reusing
 * one buffer; counts frames and enforces a frame limit. With `wholeFile`
 * (the benchmark baseline) it keeps everything and yields once at the end.
 */
export class ByteChunker {
  frames = 0;
  readonly #path: string;
  readonly #frameBytes: number;
  readonly #maxFrames: number | undefined;
  readonly #whole: Buffer[] | undefined;
  readonly #buffer: ArrayBuffer;
  readonly #bytes: Uint8Array;
  #fill = 0;

  constructor(
    path: string,
    channels: number,
    options: { maxFrames?: number | undefined; wholeFile?: boolean | undefined } = {},
  ) {
    this.#path = path;
    this.#frameBytes = 4 * channels;
    this.#maxFrames = options.maxFrames;
    this.#whole = options.wholeFile ? [] : undefined;
    const chunkBytes = Math.max(
      this.#frameBytes,
      Math.floor((CHUNK_SAMPLES * 4) / this.#frameBytes) * this.#frameBytes,
    );
    this.#buffer = new ArrayBuffer(this.#whole ? 0 : chunkBytes);
    this.#bytes = new Uint8Array(this.#buffer);
  }

  /** The full chunks `data` completes; each is valid until the next call. */
  *push(data: Uint8Array): Generator<Float32Array> {
    if (this.#whole) {
      this.#whole.push(Buffer.from(data));
      this.#count(data.length);
      return;
    }
    const chunkBytes = this.#bytes.length;
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(data.length - offset, chunkBytes - this.#fill);
      this.#bytes.set(data.subarray(offset, offset + take), this.#fill);
      this.#fill += take;
      offset += take;
      if (this.#fill === chunkBytes) {
        this.#count(chunkBytes);
        this.#fill = 0;
        yield new Float32Array(this.#buffer, 0, chunkBytes / 4);
      }
    }
  }

  /** What is left (whole frames only; a partial last frame is dropped). */
  *end(): Generator<Float32Array> {
    if (this.#whole) {
      const all = Buffer.concat(this.#whole);
      this.#whole.length = 0;
      const usable = all.length - (all.length % this.#frameBytes);
      if (usable === 0) return;
      // Buffer.concat allocates from a pool only for small sizes; copy to be sure of alignment.
      const aligned = new Float32Array(usable / 4);
      new Uint8Array(aligned.buffer).set(all.subarray(0, usable));
      yield aligned;
      return;
    }
    const tail = this.#fill - (this.#fill % this.#frameBytes);
    this.#fill = 0;
    if (tail === 0) return;
    this.#count(tail);
    yield new Float32Array(this.#buffer, 0, tail / 4);
  }

  /** Frames decoded so far, whole file mode included (its bytes are counted as they arrive). */
  #count(bytes: number): void {
    this.frames += bytes / this.#frameBytes;
    if (this.#maxFrames !== undefined && this.frames > this.#maxFrames) {
      throw new UndecodableAudioError(this.#path, `longer than the limit of ${this.#maxFrames} frames`);
    }
  }
}
