// Test plumbing: a streamer behind a plain HTTP server on port 0, real
// fixture files, ffprobe on what comes back, and the ffmpeg children of this
// process as /proc lists them.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '@tonegraph/logger';
import { eventually } from '@tonegraph/testing';
import {
  createStreamer,
  type StreamerOptions,
  type StreamRequest,
  type Streamer,
  type TrackFile,
} from '@tonegraph/streaming';

const execFileAsync = promisify(execFile);
export const log = createLogger({ service: 'streaming-test', level: 'silent' });

/** A streamer serving `files` (by track id) at http://…/<trackId>?format=…, as the gateway's route would. */
export async function startStreamServer(
  files: ReadonlyMap<string, TrackFile>,
  options: Partial<StreamerOptions> = {},
): Promise<{ url: string; streamer: Streamer; close(): Promise<void> }> {
  const streamer = createStreamer({ log, maxTranscodes: 4, ...options });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = files.get(url.pathname.slice(1));
    if (!file) return void res.writeHead(404).end();
    const format = (url.searchParams.get('format') ?? 'raw') as StreamRequest['format'];
    const kbps = url.searchParams.get('maxBitRate');
    const offset = url.searchParams.get('timeOffset');
    void streamer.serve(req, res, file, {
      format,
      maxBitRate: kbps === null ? undefined : Number(kbps),
      timeOffset: offset === null ? undefined : Number(offset),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    streamer,
    async close() {
      await streamer.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A {@link TrackFile} for a file on disk, as the catalog would describe it. */
export async function trackFileOf(
  trackId: string,
  file: string,
  bitrate: number | null = null,
  duration: number | null = null,
): Promise<TrackFile> {
  const info = await stat(file);
  return {
    trackId,
    path: file,
    size: info.size,
    mtime: info.mtime,
    format: path.extname(file).slice(1),
    bitrate,
    duration,
  };
}

/** A response with its whole body. */
export interface Fetched {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a connection of its own (no keep-alive between tests), body read whole. */
export function fetchRaw(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A request whose response body is left to the caller (to read part of it, then leave). */
export function open(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/**
 * A transcode a client started and stopped reading: the response after its
 * first bytes, paused, and the pid of the one ffmpeg child of this process
 * running it (waited for).
 */
export async function pausedTranscode(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ res: IncomingMessage; pid: number }> {
  const res = await open(url, headers);
  if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
  await new Promise((resolve) => res.once('data', resolve));
  res.pause();
  const [pid] = await eventually(
    async () => {
      const pids = await ffmpegChildren();
      return pids.length === 1 ? pids : undefined;
    },
    { what: 'one ffmpeg running' },
  );
  return { res, pid: pid! };
}

/** What ffprobe reads in `file`: the first audio stream's codec, and the container's duration and bit rate. */
export async function probe(file: string): Promise<{ codec: string; duration: number; bitRate: number }> {
  const { stdout } = await execFileAsync('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name:format=duration,bit_rate',
    '-of',
    'json',
    file,
  ]);
  const parsed = JSON.parse(stdout) as {
    streams: { codec_name: string }[];
    format: { duration: string; bit_rate: string };
  };
  return {
    codec: parsed.streams[0]!.codec_name,
    duration: Number(parsed.format.duration),
    bitRate: Number(parsed.format.bit_rate),
  };
}

/** Pids of this process's ffmpeg children, from /proc (Linux). */
export async function ffmpegChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // "<pid> (<comm>) <state> <ppid> …": comm may hold spaces, so split after its closing parenthesis.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const [state, ppid] = text.slice(close + 2).split(' ');
    if (comm === 'ffmpeg' && Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Writes a FLAC of a sine tone lasting `seconds`: long enough (minutes) that
 * a transcode of it is still running, blocked on a full pipe, when a client
 * that stopped reading leaves.
 */
export async function writeLongFlac(file: string, seconds: number): Promise<void> {
  const tone = `sine=frequency=440:sample_rate=44100:duration=${seconds}`;
  await execFileAsync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', tone, '-c:a', 'flac', file],
    {
      timeout: 120_000,
    },
  );
}
