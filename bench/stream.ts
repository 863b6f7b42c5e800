// Streaming: how many real-time 128 kb/s Opus transcodes the machine
// sustains through the gateway's /stream (time to first byte p95 < 300 ms and
// every listener keeping up with playback), beside the same ffmpeg transcode
// on a bare HTTP server; and
// random 256 KiB Range requests into the originals through /stream beside
// serve-static on a bare node:http server, on the same files.
//   npm run bench -- stream [--quick] [--levels 1,2,4,8,16,32] [--seconds 15] [--pace realtime|fast]
//                           [--arrivals spread|burst]
//                           [--minutes 3] [--connections 16] [--range-seconds 10]
// The files: the fixture set (one track per format: FLAC, MP3, AAC, Vorbis,
// Opus, WAV, AIFF) at `--minutes` each, imported through the platform (all
// its processes, as e2e/support/platform.ts starts them); streams are asked
// for with the signed URLs of Track.streamUrl. Results: bench/results/stream.json.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateFixtures } from '@tonegraph/fixtures';
import { random } from '@tonegraph/fixtures/random';
import { gql } from '@tonegraph/e2e/graphql';
import { importLibrary } from '@tonegraph/e2e/library-import';
import { startPlatform } from '@tonegraph/e2e/platform';
import { freePort } from '@tonegraph/testing';
import { httpOk, load1, startProc, stopAll } from './support/procs.ts';
import { rangeLoad, RANGE_BYTES, type RangeFile, type RangeResult } from './support/stream-ranges.ts';
import type { Pace } from './support/stream-client.ts';
import {
  transcodeLevel,
  TTFB_TARGET_MS,
  type Arrivals,
  type LevelResult,
  type TranscodeSource,
  type TranscodeTarget,
} from './support/stream-transcodes.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    levels: { type: 'string' },
    seconds: { type: 'string' },
    pace: { type: 'string', default: 'realtime' },
    arrivals: { type: 'string', default: 'spread' },
    minutes: { type: 'string' },
    connections: { type: 'string' },
    'range-seconds': { type: 'string' },
  },
});
const quick = values.quick;
const levels = (values.levels ?? (quick ? '1,2,4' : '1,2,4,8,16,32')).split(',').map(Number);
const seconds = Number(values.seconds ?? (quick ? 6 : 15));
const pace = values.pace as Pace;
if (pace !== 'realtime' && pace !== 'fast') throw new Error('--pace is realtime or fast');
const arrivals = values.arrivals as Arrivals;
if (arrivals !== 'spread' && arrivals !== 'burst') throw new Error('--arrivals is spread or burst');
const minutes = Number(values.minutes ?? (quick ? 1 : 3));
const connections = Number(values.connections ?? (quick ? 8 : 16));
const rangeSeconds = Number(values['range-seconds'] ?? (quick ? 5 : 10));
const KBPS = 128;
/** Seconds of audio a paced listener keeps ahead, as a player buffers. */
const BUFFER_S = 5;

const root = await mkdtemp(path.join(os.tmpdir(), 'tonegraph-bench-stream-'));
const music = path.join(root, 'music');
const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

interface TrackRow {
  readonly id: string;
  readonly title: string;
  readonly file: { readonly path: string; readonly size: number; readonly format: string };
  readonly opus: string;
  readonly original: string;
}

try {
  console.log(`generating the fixture set at ${minutes} min per track …`);
  await generateFixtures(music, { durationSeconds: minutes * 60 });
  const platform = await startPlatform({
    allowedRoot: root,
    env: {
      STREAM_SECRET: randomBytes(24).toString('hex'),
      // The limit is what is measured here, not what refuses: room for the highest level.
      STREAM_MAX_TRANSCODES: String(Math.max(...levels) * 2),
      ANALYSIS_THREADS: '1',
    },
  });
  try {
    const graphqlUrl = platform.gateways[0]!.url;
    const origin = new URL(graphqlUrl).origin;
    console.log('importing it …');
    const imported = await importLibrary(graphqlUrl, music, 'Stream bench', 600_000);
    const { tracks } = await gql<{ tracks: { edges: { node: TrackRow }[] } }>(
      graphqlUrl,
      `{ tracks(first: 100) { edges { node { id title file { path size format }
          opus: streamUrl(format: OPUS, maxBitRate: ${KBPS}) original: streamUrl(format: ORIGINAL) } } } }`,
    );
    const rows = tracks.edges.map((e) => e.node);
    console.log(
      `${rows.length} tracks imported (${imported.failed} files refused, as the fixture set intends)`,
    );

    // The baselines' server: serve-static, and the same transcode on bare HTTP.
    const staticPort = await freePort();
    const relative = (file: string) =>
      '/' + path.relative(music, file).split(path.sep).map(encodeURIComponent).join('/');
    const staticFiles: RangeFile[] = rows.map((t) => ({ path: relative(t.file.path), size: t.file.size }));
    const gatewayFiles: RangeFile[] = rows.map((t) => ({ path: t.original, size: t.file.size }));
    await startProc(
      'serve-static',
      'bench/support/static-server.ts',
      {
        STATIC_ROOT: music,
        PORT: String(staticPort),
      },
      httpOk(`http://127.0.0.1:${staticPort}${staticFiles[0]!.path}`),
    );
    // (a) Opus transcodes, ramped until a level is not sustained.
    const sources: TranscodeSource[] = rows.map((t) => ({
      title: t.title,
      url: new URL(t.opus, origin).href,
      bareUrl: `http://127.0.0.1:${staticPort}/transcode${relative(t.file.path)}?kbps=${KBPS}`,
    }));
    const transcodes: LevelResult[] = [];
    for (const target of ['ffmpeg', 'gateway'] as TranscodeTarget[]) {
      // Up the levels until two in a row are not sustained (one may miss by the noise of a busy machine).
      let misses = 0;
      for (const clients of levels) {
        const row = await transcodeLevel(target, clients, sources, {
          pace,
          arrivals,
          seconds,
          bufferSeconds: BUFFER_S,
          kbps: KBPS,
        });
        transcodes.push(row);
        console.log(
          `  ${target} ×${clients}: ttfb p95 ${round(row.ttfbP95)} ms, slowest ${round(row.realtimeMin, 2)}× (load ${load1()})`,
        );
        misses = row.sustained ? 0 : misses + 1;
        if (misses === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 1000)); // ffmpeg processes gone
      }
    }

    // (b) Range requests: the gateway's /stream against serve-static on the same files.
    const ranges: RangeResult[] = [];
    for (const [target, url, files] of [
      ['serve-static', `http://127.0.0.1:${staticPort}`, staticFiles],
      ['gateway /stream', origin, gatewayFiles],
    ] as const) {
      ranges.push(
        await rangeLoad(target, url, files, { connections, seconds: rangeSeconds, random: random(7) }),
      );
    }

    const highest = (target: TranscodeTarget) =>
      Math.max(0, ...transcodes.filter((r) => r.target === target && r.sustained).map((r) => r.clients));
    console.log(
      `\nOpus ${KBPS} kb/s transcodes, listeners reading ${pace === 'realtime' ? `at real-time pace (${BUFFER_S} s buffer)` : 'as fast as they can'} for ${seconds} s, ${arrivals === 'spread' ? `arriving one after another over the first ${round(seconds / 3)} s` : 'all arriving at once'}; ` +
        `sustained = TTFB p95 < ${TTFB_TARGET_MS} ms and every listener keeping up (${os.availableParallelism()} cores, load ${load1()})`,
    );
    console.table(
      transcodes.map((r) => ({
        target: r.target,
        clients: r.clients,
        'ttfb p50 ms': round(r.ttfbP50),
        'ttfb p95 ms': round(r.ttfbP95),
        'slowest ×rt': round(r.realtimeMin, 2),
        'median ×rt': round(r.realtimeMedian, 2),
        'max behind s': round(r.maxBehind, 2),
        'refused (503)': r.refused,
        failed: r.failed,
        sustained: r.sustained ? 'yes' : 'no',
      })),
    );
    console.log(
      `highest sustained: gateway ${highest('gateway')} listeners, ffmpeg on bare HTTP ${highest('ffmpeg')}`,
    );
    console.log(
      `\nRandom ${RANGE_BYTES / 1024} KiB ranges of the originals (${rows.length} files, ${connections} connections, ${rangeSeconds} s each)`,
    );
    console.table(
      ranges.map((r) => ({
        target: r.target,
        'req/s': round(r.rps),
        'MB/s': round(r.mbPerSecond),
        'p50 ms': round(r.p50),
        'p95 ms': round(r.p95),
        'p99 ms': round(r.p99),
        'errors/non-206': r.errors,
      })),
    );
    await mkdir('bench/results', { recursive: true });
    await writeFile(
      'bench/results/stream.json',
      JSON.stringify({ at: new Date().toISOString(), pace, seconds, minutes, transcodes, ranges }, null, 2),
    );
  } finally {
    await stopAll();
    await platform.close();
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
