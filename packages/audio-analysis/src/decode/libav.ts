import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { PcmFormat } from '../track-analyser.ts';
import { ByteChunker } from './byte-chunks.ts';
import { ffmpegDecoder } from './ffmpeg.ts';
import { DecoderFallbackError, type DecodeOptions, type Decoder } from './types.ts';

/**
 * Where `npm run build:decoder` (and the local stack) puts tonegraph-decoder;
 * `TONEGRAPH_DECODER` names another binary, or `off` to use none.
 */
export const DEFAULT_DECODER_BINARY = fileURLToPath(
  new URL('../../native/build/tonegraph-decoder', import.meta.url),
);

/** Address-space bound of each decoder process (its libraries map ~190 MB of it; it uses ~35 MB). */
const MAX_MEMORY_MB = 2048;

/** Output buffered from one process before its pipe is paused (then its writes block). */
const HIGH_WATER = 1 << 20;

const MAX_MESSAGE_BYTES = 4096;

/** Idle decoder processes kept per thread (one is busy per running file). */
const MAX_IDLE = 2;

/** The decoder binary to use, or null when there is none (then ffmpeg decodes every file). */
export function decoderBinary(): string | null {
  const configured = process.env.TONEGRAPH_DECODER;
  if (configured === 'off') return null;
  const binary = configured || DEFAULT_DECODER_BINARY;
  try {
    accessSync(binary, constants.X_OK);
    return binary;
  } catch {
    return null;
  }
}

type Child = ChildProcessByStdio<Writable, Readable, null>;

/** The process said it cannot decode the file (`inStep`: and is ready for the next), or it ended. */
class Declined extends Error {
  readonly inStep: boolean;
  constructor(message: string, inStep: boolean) {
    super(message);
    this.inStep = inStep;
  }
}

/**
 * One tonegraph-decoder process: files are sent one at a time and their
 * PCM read back as typed records (native/tonegraph-decoder.c). It stays
 * alive between files, which is the point: starting ffmpeg costs ~80 ms of
 * CPU per file, decoding a 4-second file a few.
 */
class DecoderProcess {
  readonly #child: Child;
  #exited = false;
  #error: Error | undefined;
  /** Output read from the process and not yet consumed; the pipe is paused past HIGH_WATER bytes. */
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #wake: (() => void) | undefined;

  constructor(binary: string) {
    this.#child = spawn(binary, ['--max-memory-mb', String(MAX_MEMORY_MB)], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const ended = () => {
      this.#exited = true;
      this.#wake?.();
    };
    this.#child.on('error', (error) => {
      this.#error ??= error;
      ended();
    });
    this.#child.on('exit', ended);
    this.#child.stdout.on('close', ended);
    this.#child.stdout.on('data', (data: Buffer) => {
      this.#queue.push(data);
      this.#queued += data.length;
      if (this.#queued > HIGH_WATER) this.#child.stdout.pause();
      this.#wake?.();
    });
    // A broken pipe after the process died is reported by the read side.
    this.#child.stdin.on('error', () => {});
    this.idle();
  }

  get usable(): boolean {
    return !this.#exited;
  }

  /** Idle processes must not keep a thread or process alive. */
  idle(): void {
    this.#child.unref();
    (this.#child.stdout as Readable & { unref?: () => void }).unref?.();
    (this.#child.stdin as Writable & { unref?: () => void }).unref?.();
  }

  #busy(): void {
    this.#child.ref();
    (this.#child.stdout as Readable & { ref?: () => void }).ref?.();
    (this.#child.stdin as Writable & { ref?: () => void }).ref?.();
  }

  kill(): void {
    this.#exited = true;
    this.#child.kill('SIGKILL');
  }

  /** Yields raw PCM bytes of `path` at `format` (split anywhere); throws Declined when the process cannot. */
  async *decode(path: string, format: PcmFormat, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
    this.#busy();
    const name = Buffer.from(path);
    const header = Buffer.alloc(12);
    header.writeUInt32LE(format.channels, 0);
    header.writeUInt32LE(format.sampleRate, 4);
    header.writeUInt32LE(name.length, 8);
    this.#child.stdin.write(Buffer.concat([header, name]));
    for (;;) {
      const record = await this.#take(5, signal);
      const type = String.fromCharCode(record[0]!);
      let left = record.readUInt32LE(1);
      if (type === 'P') {
        while (left > 0) {
          const piece = await this.#piece(left, signal);
          left -= piece.length;
          yield piece;
        }
      } else if (type === 'D' && left === 0) {
        return;
      } else if (type === 'X' && left <= MAX_MESSAGE_BYTES) {
        throw new Declined((await this.#take(left, signal)).toString('utf8'), true);
      } else {
        this.kill();
        throw new Declined(`unexpected record ${JSON.stringify(type)} from the decoder process`, false);
      }
    }
  }

  /** Exactly `size` bytes. */
  async #take(size: number, signal: AbortSignal | undefined): Promise<Buffer> {
    const first = await this.#piece(size, signal);
    if (first.length === size) return first;
    const parts = [first];
    for (let got = first.length; got < size;) {
      const piece = await this.#piece(size - got, signal);
      parts.push(piece);
      got += piece.length;
    }
    return Buffer.concat(parts);
  }

  /** Between 1 and `max` bytes, as soon as there are any. */
  async #piece(max: number, signal: AbortSignal | undefined): Promise<Buffer> {
    while (this.#queued === 0) {
      if (this.#exited) {
        this.kill();
        throw new Declined(
          this.#error ? `decoder process failed: ${this.#error.message}` : 'decoder process ended',
          false,
        );
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#wake = undefined;
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.#wake = wake;
        signal?.addEventListener('abort', wake);
      });
    }
    const head = this.#queue[0]!;
    let piece: Buffer;
    if (head.length <= max) {
      piece = head;
      this.#queue.shift();
    } else {
      piece = head.subarray(0, max);
      this.#queue[0] = head.subarray(max);
    }
    this.#queued -= piece.length;
    if (this.#queued <= HIGH_WATER && this.#child.stdout.isPaused()) this.#child.stdout.resume();
    return piece;
  }
}

/** Decoder processes of this thread, by binary. */
const idle = new Map<string, DecoderProcess[]>();

function acquire(binary: string): DecoderProcess {
  const list = idle.get(binary) ?? [];
  idle.set(binary, list);
  for (let p = list.pop(); p; p = list.pop()) if (p.usable) return p;
  return new DecoderProcess(binary);
}

function release(binary: string, process: DecoderProcess): void {
  const list = idle.get(binary) ?? [];
  if (process.usable && list.length < MAX_IDLE) {
    process.idle();
    list.push(process);
  } else {
    process.kill();
  }
}

/**
 * Decodes through a long-lived tonegraph-decoder process (FFmpeg's
 * libraries, the same samples as the ffmpeg command line), falling back to
 * the ffmpeg command line for a file it declines — before any audio, the
 * file simply goes to ffmpeg; after some, DecoderFallbackError restarts its
 * analysis with ffmpeg — and for every file when the binary is not built.
 */
export function createLibavDecoder(binary: () => string | null = decoderBinary): Decoder {
  return {
    name: 'libav',
    async *decode(path: string, format: PcmFormat, options: DecodeOptions = {}) {
      options.signal?.throwIfAborted();
      const bin = binary();
      if (bin === null) {
        yield* ffmpegDecoder.decode(path, format, options);
        return;
      }
      const process = acquire(bin);
      const chunker = new ByteChunker(path, format.channels, options);
      let done = false;
      let inStep = false;
      let yielded = false;
      try {
        for await (const data of process.decode(path, format, options.signal)) {
          for (const chunk of chunker.push(data)) {
            yielded = true;
            yield chunk;
          }
        }
        for (const chunk of chunker.end()) {
          yielded = true;
          yield chunk;
        }
        done = true;
      } catch (error) {
        options.signal?.throwIfAborted();
        if (!(error instanceof Declined)) throw error;
        inStep = error.inStep;
        if (yielded) throw new DecoderFallbackError(error.message, { cause: error });
      } finally {
        // Stopped mid-file (a limit, an abort, the consumer's error): its output is out of step.
        if (!done && !inStep) process.kill();
        release(bin, process);
      }
      if (!done) yield* ffmpegDecoder.decode(path, format, options);
    },
  };
}

export const libavDecoder: Decoder = createLibavDecoder();
