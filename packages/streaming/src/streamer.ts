import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '@tonegraph/logger';
import { serveOriginal } from './original.ts';
import { planStream } from './plan.ts';
import { refuse } from './respond.ts';
import {
  pipeTranscode,
  startTranscoder,
  stopTranscoder,
  transcodeHeaders,
  type Transcoder,
} from './transcode.ts';
import type { StreamRequest, Streamer, TrackFile } from './types.ts';

/** Options of {@link createStreamer}. */
export interface StreamerOptions {
  readonly log: Logger;
  /** Transcodes running at once, at most; past it a request is answered 503 with Retry-After. */
  readonly maxTranscodes: number;
  /** The ffmpeg executable; default `ffmpeg` from PATH (as ingest's decoder finds it). */
  readonly ffmpegPath?: string | undefined;
  /** Seconds a refused client is told to wait (Retry-After); default 5. */
  readonly retryAfterSeconds?: number | undefined;
  /** Registers `tonegraph_stream_*` metrics (active transcodes, refusals, responses) here, when given. */
  readonly registry?: Registry | undefined;
}

/**
 * A {@link Streamer}: originals through `send`, transcodes through ffmpeg,
 * at most `maxTranscodes` ffmpeg processes at once (a counter is the whole
 * bulkhead: a transcode is refused, never queued, since a player waiting in
 * a queue is a player stalling anyway).
 */
export function createStreamer(options: StreamerOptions): Streamer {
  const { log, maxTranscodes } = options;
  const ffmpegPath = options.ffmpegPath ?? 'ffmpeg';
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const running = new Set<Transcoder>();
  const registers = options.registry ? [options.registry] : [];
  new Gauge({
    name: 'tonegraph_stream_transcodes_active',
    help: 'ffmpeg transcodes running now',
    registers,
    collect() {
      this.set(running.size);
    },
  });
  const refused = new Counter({
    name: 'tonegraph_stream_transcodes_refused_total',
    help: 'Transcodes refused with 503 because STREAM_MAX_TRANSCODES were running',
    registers,
  });
  const served = new Counter({
    name: 'tonegraph_stream_responses_total',
    help: 'Stream requests answered, by kind (original, transcode)',
    labelNames: ['kind'],
    registers,
  });
  let closing: Promise<void> | undefined;

  async function serve(req: IncomingMessage, res: ServerResponse, file: TrackFile, request: StreamRequest) {
    const plan = planStream(file, request);
    served.inc({ kind: plan.kind });
    if (plan.kind === 'original') return serveOriginal(req, res, file, log);
    // HEAD describes the transcode without running one.
    if (req.method === 'HEAD') return void res.writeHead(200, transcodeHeaders(file, plan)).end();
    if (closing)
      return refuse(res, 503, 'SHUTTING_DOWN', 'The server is shutting down', { 'retry-after': retryAfter });
    if (running.size >= maxTranscodes) {
      refused.inc();
      return refuse(
        res,
        503,
        'TRANSCODES_BUSY',
        `Too many transcodes are running (${maxTranscodes}); try again shortly`,
        {
          'retry-after': retryAfter,
        },
      );
    }
    const transcoder = startTranscoder(ffmpegPath, file, plan);
    running.add(transcoder);
    void transcoder.exited.then(() => running.delete(transcoder));
    await pipeTranscode(req, res, file, plan, transcoder, log);
  }

  return {
    async serve(req, res, file, request) {
      try {
        await serve(req, res, file, request);
      } catch (error) {
        // Never rejects: whatever broke is logged and the response ended.
        log.error({ err: error, trackId: file.trackId }, 'stream: failed');
        if (!res.headersSent) refuse(res, 500, 'STREAM_FAILED', 'The track could not be streamed');
        else res.destroy();
      }
    },
    get activeTranscodes() {
      return running.size;
    },
    close() {
      closing ??= Promise.allSettled([...running].map((t) => stopTranscoder(t))).then(() => {});
      return closing;
    },
  };
}
