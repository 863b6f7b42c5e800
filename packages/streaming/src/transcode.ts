// A transcode: ffmpeg reads the file and writes Opus-in-Ogg or MP3 to a
// pipe, which is piped to the response with stream.pipeline, so ffmpeg
// encodes only as fast as the client takes the audio (the pipe fills, ffmpeg
// blocks on its write). No Content-Length (the size is not known before the
// end: chunked) and no ranges; a player seeks with `timeOffset`.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@tonegraph/logger';
import type { StreamPlan, TranscodeFormat } from './plan.ts';
import { refuse } from './respond.ts';
import type { TrackFile } from './types.ts';

/** A running ffmpeg and how it ended. */
export interface Transcoder {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
}

type Transcode = Extract<StreamPlan, { kind: 'transcode' }>;

const OUTPUT: Readonly<Record<TranscodeFormat, { type: string; args: readonly string[] }>> = {
  // Constrained VBR: unconstrained, Opus spends half as much again on busy passages, and a player on a
  // capped connection asked for a bitrate, not an average.
  opus: { type: 'audio/ogg', args: ['-c:a', 'libopus', '-vbr', 'constrained', '-f', 'ogg'] },
  // No Xing header: it is written last, by seeking back, which a pipe cannot do.
  mp3: { type: 'audio/mpeg', args: ['-c:a', 'libmp3lame', '-write_xing', '0', '-f', 'mp3'] },
};

/** Seconds ffmpeg has to exit after SIGTERM before it is killed. */
const KILL_GRACE_MS = 2000;
const STDERR_LIMIT = 4096;

/** The response headers of a transcode. */
export function transcodeHeaders(file: TrackFile, plan: Transcode): Record<string, string> {
  const seconds = file.duration === null ? null : Math.max(0, file.duration - plan.timeOffset);
  return {
    'content-type': OUTPUT[plan.format].type,
    'accept-ranges': 'none',
    // no-transform: neither the gateway's compression nor a proxy may touch (or buffer) audio.
    'cache-control': 'no-store, no-transform',
    'x-content-type-options': 'nosniff',
    // A chunked stream has no length to derive a duration from; Firefox's <audio> reads this one.
    ...(seconds === null ? {} : { 'x-content-duration': seconds.toFixed(2) }),
  };
}

/** ffmpeg's arguments for `plan` of `file` (only its path is read). */
export function ffmpegArgs(file: Pick<TrackFile, 'path'>, plan: Transcode): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    // Before -i: a fast seek in the input, not a decode of everything skipped.
    ...(plan.timeOffset > 0 ? ['-ss', String(plan.timeOffset)] : []),
    // file: stops a path like "http:x" or "-x" being read as a protocol or an option.
    '-i',
    `file:${file.path}`,
    // The first audio stream only: cover pictures are video streams.
    '-map',
    '0:a:0',
    '-b:a',
    `${plan.kbps}k`,
    ...OUTPUT[plan.format].args,
    'pipe:1',
  ];
}

/** Starts ffmpeg on `file`. */
export function startTranscoder(ffmpegPath: string, file: TrackFile, plan: Transcode): Transcoder {
  const child = spawn(ffmpegPath, ffmpegArgs(file, plan), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
      // A process that could not start (ENOENT) never closes.
      child.once('error', (error) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, error });
      });
    },
  );
  return { child, exited };
}

/** Ends ffmpeg: SIGTERM, then SIGKILL if it is still there after a grace period. */
export async function stopTranscoder({ child, exited }: Transcoder): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    child.kill('SIGTERM');
    const fuse = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    fuse.unref();
    await exited;
    clearTimeout(fuse);
  }
  await exited;
}

/**
 * Streams `transcoder`'s output as the response. Headers go out with the
 * first bytes, so an ffmpeg that fails at once (an unreadable file) is
 * answered 502 instead of an empty 200. When the client leaves or the
 * response fails, ffmpeg is stopped; resolves once it has exited.
 */
export async function pipeTranscode(
  _req: IncomingMessage,
  res: ServerResponse,
  file: TrackFile,
  plan: Transcode,
  transcoder: Transcoder,
  log: Logger,
): Promise<void> {
  const { child, exited } = transcoder;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += s;
  });
  const fields = { trackId: file.trackId, format: plan.format, kbps: plan.kbps, pid: child.pid };
  try {
    const first = await new Promise<Buffer | 'exited' | 'gone'>((resolve) => {
      const onData = (chunk: Buffer) => {
        child.stdout.pause();
        resolve(chunk);
      };
      child.stdout.once('data', onData);
      void exited.then(() => resolve('exited'));
      res.once('close', () => resolve('gone'));
    }).finally(() => child.stdout.removeAllListeners('data'));
    if (first === 'gone') return;
    if (first === 'exited') {
      const { code, signal, error } = await exited;
      log.error({ ...fields, code, signal, err: error, stderr }, 'stream: ffmpeg produced nothing');
      const message =
        (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
          ? 'ffmpeg is not installed on the server'
          : 'The track could not be transcoded';
      return refuse(res, 502, 'TRANSCODE_FAILED', message);
    }
    res.writeHead(200, transcodeHeaders(file, plan));
    res.write(first);
    await pipeline(child.stdout, res);
    const { code, signal } = await exited;
    if (code !== 0) {
      log.warn({ ...fields, code, signal, stderr }, 'stream: ffmpeg failed part way');
    }
  } catch (error) {
    // The client left (premature close) or the socket failed: ffmpeg must not outlive it.
    if (!res.destroyed) res.destroy();
    log.debug({ ...fields, err: error }, 'stream: transcode ended early');
  } finally {
    await stopTranscoder(transcoder);
  }
}
