// One listener of a transcode: reads an Ogg Opus stream (an HTTP response or
// ffmpeg's stdout) at real-time pace like a player with a buffer, or as fast
// as it comes, and says when the first byte came, how much audio arrived and
// whether it ever fell behind playback.
import { setTimeout as sleep } from 'node:timers/promises';
import { OggClock } from './ogg-clock.ts';

export type Pace = 'realtime' | 'fast';

/** What one client saw. */
export interface Listening {
  /** ms from the request to the first byte of audio; NaN when none came. */
  readonly ttfbMs: number;
  /** Seconds of audio received. */
  readonly audioSeconds: number;
  /** Seconds from the first byte to the end of reading. */
  readonly seconds: number;
  /** Audio seconds per second since the first byte. */
  readonly realtime: number;
  /**
   * The longest a player would have waited, seconds: how far wall time since
   * the first byte got ahead of the audio received (0: never starved).
   */
  readonly maxBehind: number;
  readonly bytes: number;
  /** Whether the stream ended (the whole track) before the time was up. */
  readonly ended: boolean;
}

export interface ListenOptions {
  readonly pace: Pace;
  /** When reading stops, performance.now() ms. */
  readonly until: number;
  /** Seconds of audio a paced client keeps ahead (a player's buffer). */
  readonly bufferSeconds: number;
}

/** Reads `chunks` (started at `startedAt`, performance.now() ms) until the stream ends or `until`. */
export async function listen(
  chunks: AsyncIterable<Uint8Array>,
  startedAt: number,
  options: ListenOptions,
): Promise<Listening> {
  const clock = new OggClock();
  let first = NaN;
  let bytes = 0;
  let maxBehind = 0;
  let ended = true;
  for await (const chunk of chunks) {
    const now = performance.now();
    if (Number.isNaN(first)) first = now;
    bytes += chunk.byteLength;
    clock.push(chunk);
    // Wall time since the first byte is what a player would have played by now.
    maxBehind = Math.max(maxBehind, (now - first) / 1000 - clock.seconds);
    if (now >= options.until) {
      ended = false;
      break;
    }
    if (options.pace === 'realtime') {
      const ahead = clock.seconds - (now - first) / 1000 - options.bufferSeconds;
      if (ahead > 0) await sleep(Math.min(ahead * 1000, options.until - now));
    }
  }
  const seconds = Number.isNaN(first) ? 0 : (performance.now() - first) / 1000;
  return {
    ttfbMs: first - startedAt,
    audioSeconds: clock.seconds,
    seconds,
    realtime: seconds > 0 ? clock.seconds / seconds : 0,
    maxBehind,
    bytes,
    ended,
  };
}
