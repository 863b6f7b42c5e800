// Part one of the stream benchmark: N listeners of Opus transcodes at once,
// through the gateway's /stream or from ffmpeg with the same arguments on a
// bare HTTP server (the baseline: the same transcode and the same socket
// buffers between ffmpeg and the listener, without the gateway). The
// listeners arrive one after another over the first third of the level
// (`spread`: each later one starts while the earlier ones play, as listeners
// do), or all in the same instant (`burst`: N ffmpeg start-ups at once).
import { setTimeout } from 'node:timers/promises';
import { pct } from './percentile.ts';
import { listen, type Listening, type Pace } from './stream-client.ts';

/** One transcode a listener asks for. */
export interface TranscodeSource {
  readonly title: string;
  /** Signed URL of the Opus transcode (absolute). */
  readonly url: string;
  /** The same transcode from ffmpeg on a bare HTTP server (bench/support/static-server.ts). */
  readonly bareUrl: string;
}

export type TranscodeTarget = 'gateway' | 'ffmpeg';

/** How the listeners of a level arrive: evenly over the first third of it, or all at once. */
export type Arrivals = 'spread' | 'burst';

export interface LevelOptions {
  readonly pace: Pace;
  readonly arrivals: Arrivals;
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

async function oneListener(
  target: TranscodeTarget,
  source: TranscodeSource,
  options: LevelOptions,
  until: number,
): Promise<Listening | 'refused' | 'failed'> {
  const abort = new AbortController();
  const startedAt = performance.now();
  try {
    const res = await fetch(target === 'ffmpeg' ? source.bareUrl : source.url, { signal: abort.signal });
    if (res.status === 503) return 'refused';
    if (!res.ok || !res.body) return 'failed';
    const heard = await listen(res.body, startedAt, { ...options, until });
    return heard.audioSeconds > 0 ? heard : 'failed';
  } catch {
    return 'failed';
  } finally {
    // A listener that leaves: either server ends its ffmpeg.
    abort.abort();
  }
}

/** `clients` listeners on `sources` (round robin), arriving as `options.arrivals` says, until `options.seconds` have passed. */
export async function transcodeLevel(
  target: TranscodeTarget,
  clients: number,
  sources: readonly TranscodeSource[],
  options: LevelOptions,
): Promise<LevelResult> {
  const until = performance.now() + options.seconds * 1000;
  const gapMs = options.arrivals === 'spread' ? (options.seconds * 1000) / 3 / clients : 0;
  const outcomes = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      await setTimeout(i * gapMs);
      return oneListener(target, sources[i % sources.length]!, options, until);
    }),
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
