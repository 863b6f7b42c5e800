import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { UndecodableAudioError } from '../errors.ts';
import type { PcmFormat } from '../track-analyser.ts';
import { ByteChunker } from './byte-chunks.ts';
import type { DecodeOptions, Decoder } from './types.ts';

const STDERR_LIMIT = 4096;

/**
 * ffmpeg as a child process writing raw little-endian float32 to a pipe:
 * every format ffmpeg reads (MP3, FLAC, Vorbis, Opus, AAC, WAV, AIFF…),
 * decoded on another core, never clipped (float output keeps overs), at the
 * channel count and rate given. Pipe backpressure keeps at most a pipe's
 * worth of PCM in flight, so memory does not grow with the track.
 */
export const ffmpegDecoder: Decoder = {
  name: 'ffmpeg',
  decode: decodeWithFfmpeg,
};

async function* decodeWithFfmpeg(
  path: string,
  format: PcmFormat,
  options: DecodeOptions = {},
): AsyncGenerator<Float32Array> {
  options.signal?.throwIfAborted();
  const child = spawn(
    'ffmpeg',
    [
      '-nostdin',
      '-hide_banner',
      '-v',
      'error',
      // file: stops a path like "http:x" or "-x" being read as a protocol or an option.
      '-i',
      `file:${path}`,
      '-map',
      '0:a:0',
      '-ac',
      String(format.channels),
      '-ar',
      String(format.sampleRate),
      '-f',
      'f32le',
      '-acodec',
      'pcm_f32le',
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, killSignal: 'SIGKILL' },
  );
  let spawnError: NodeJS.ErrnoException | undefined;
  child.on('error', (error: NodeJS.ErrnoException) => {
    spawnError ??= error;
  });
  const closed = once(child, 'close').then(
    ([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }),
    (error: unknown) => ({ code: null, signal: null, error }),
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += s;
  });
  const reason = (fallback: string): string =>
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? fallback;

  const chunker = new ByteChunker(path, format.channels, options);
  try {
    for await (const data of child.stdout as AsyncIterable<Buffer>) yield* chunker.push(data);
    const exit = await closed;
    options.signal?.throwIfAborted();
    if (spawnError?.code === 'ENOENT') {
      // The machine's fault, not the file's: not an UndecodableAudioError, so ingest retries it.
      throw new Error('ffmpeg is not installed (Debian: apt-get install ffmpeg)', { cause: spawnError });
    }
    if (exit.code !== 0) {
      throw new UndecodableAudioError(path, reason(`ffmpeg exited with ${exit.code ?? exit.signal}`));
    }
    const rest = [...chunker.end()];
    if (chunker.frames < 1) throw new UndecodableAudioError(path, reason('no audio frames decoded'));
    yield* rest;
  } finally {
    // Early exit (consumer error, limit, abort): the process must not outlive the iteration.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await closed;
  }
}
