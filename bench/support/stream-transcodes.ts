// Part one of the stream benchmark: N listeners of Opus transcodes at once,
// through the gateway's /stream or from ffmpeg run directly with the same
// arguments (the baseline: what the machine does without the gateway).
import { spawn } from 'node:child_process';
import { pct } from './percentile.ts';
import { listen, type Listening, type Pace } from './stream-client.ts';

/** One transcode a listener asks for. */
export interface TranscodeSource {
  readonly title: string;
  /** Signed URL of the Opus transcode (absolute). */
  readonly url: string;
  /** The original file, for ffmpeg run directly. */
  readonly path: string;
}

export type TranscodeTarget = 'gateway' | 'ffmpeg';

export interface LevelOptions {
  readonly pace: Pace;
  readonly seconds: number;
  readonly bufferSeconds: number;
  readonly kbps: number;
}

/** A level's outcome: one row of the table. */
export interface LevelResult {
  readonly target: TranscodeTarget;
  readonly clients: number;
  readonly ttfbP50: number;
  readonly ttfbP95: number;
  /** The slowest listener's audio seconds per second since its first byte. */
  readonly realtimeMin: number;
  readonly realtimeMedian: number;
  /** The longest any listener would have waited for audio, seconds. */
  readonly maxBehind: number;
  /** Listeners refused (503), failed or that got no audio. */
  readonly refused: number;
  readonly failed: number;
  /** Every listener had its first byte in time and kept up with playback. */
  readonly sustained: boolean;
}

/** Longest a paced listener may wait (one Ogg page is about a second of audio). */
const BEHIND_TOLERANCE_S = 1;
export const TTFB_TARGET_MS = 300;

/** ffmpeg as the streaming package runs it for an Opus transcode. */
function ffmpegDirect(path: string, kbps: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
  const child = spawn(
    'ffmpeg',
    [
      ...['-nostdin', '-hide_banner', '-v', 'error', '-i', `file:${path}`, '-map', '0:a:0'],
      ...['-b:a', `${kbps}k`, '-c:a', 'libopus', '-f', 'ogg', 'pipe:1'],
    ],
    { stdio: ['ignore', 'pipe', 'ignore'], signal },
  );
  child.on('error', () => {}); // the abort at the end of the level
  return child.stdout;
}

async function oneListener(
  target: TranscodeTarget,
  source: TranscodeSource,
  options: LevelOptions,
  until: number,
): Promise<Listening | 'refused' | 'failed'> {
  const abort = new AbortController();
  const startedAt = performance.now();
  try {
    let chunks: AsyncIterable<Uint8Array>;
    if (target === 'ffmpeg') chunks = ffmpegDirect(source.path, options.kbps, abort.signal);
    else {
      const res = await fetch(source.url, { signal: abort.signal });
      if (res.status === 503) return 'refused';
      if (!res.ok || !res.body) return 'failed';
      chunks = res.body;
    }
    const heard = await listen(chunks, startedAt, { ...options, until });
    return heard.audioSeconds > 0 ? heard : 'failed';
  } catch {
    return 'failed';
  } finally {
    // A listener that leaves: the gateway ends its ffmpeg, the direct one is killed.
    abort.abort();
  }
}

/** `clients` listeners at once on `sources` (round robin) for `options.seconds`. */
export async function transcodeLevel(
  target: TranscodeTarget,
  clients: number,
  sources: readonly TranscodeSource[],
  options: LevelOptions,
): Promise<LevelResult> {
  const until = performance.now() + options.seconds * 1000;
  const outcomes = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      oneListener(target, sources[i % sources.length]!, options, until),
    ),
  );
  const heard = outcomes.filter((o): o is Listening => typeof o === 'object');
  const ttfb = heard.map((h) => h.ttfbMs).sort((a, b) => a - b);
  const realtime = heard.map((h) => (h.ended ? Infinity : h.realtime)).sort((a, b) => a - b);
  const maxBehind = Math.max(0, ...heard.map((h) => h.maxBehind));
  const keptUp = heard.every((h) =>
    options.pace === 'realtime' ? h.maxBehind <= BEHIND_TOLERANCE_S : h.ended || h.realtime >= 1,
  );
  const ttfbP95 = pct(ttfb, 95);
  return {
    target,
    clients,
    ttfbP50: pct(ttfb, 50),
    ttfbP95,
    realtimeMin: realtime[0] ?? 0,
    realtimeMedian: pct(realtime, 50),
    maxBehind,
    refused: outcomes.filter((o) => o === 'refused').length,
    failed: outcomes.filter((o) => o === 'failed').length,
    sustained: heard.length === clients && keptUp && ttfbP95 < TTFB_TARGET_MS,
  };
}
