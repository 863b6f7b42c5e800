// The stream benchmark's baselines, a process of their own like the gateway:
// the same files served by serve-static on a bare node:http server, and at
// /transcode/<file>?kbps=N the same Opus transcode the streaming package
// runs (ffmpeg's output piped to the response, ffmpeg ended when the client
// leaves) without anything else — no credentials, no catalog, no limit.
//   STATIC_ROOT=<dir> PORT=<port> node bench/support/static-server.ts
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import serveStatic from 'serve-static';
import { ffmpegArgs } from '@tonegraph/streaming';

const root = process.env['STATIC_ROOT'];
if (!root) throw new Error('STATIC_ROOT is required');
const serve = serveStatic(root, { index: false, fallthrough: true });
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.startsWith('/transcode/')) {
    const file = path.join(root, decodeURIComponent(url.pathname.slice('/transcode'.length)));
    const plan = {
      kind: 'transcode',
      format: 'opus',
      kbps: Number(url.searchParams.get('kbps') ?? 128),
      timeOffset: 0,
    } as const;
    const child = spawn('ffmpeg', ffmpegArgs({ path: file }, plan), { stdio: ['ignore', 'pipe', 'ignore'] });
    res.writeHead(200, { 'content-type': 'audio/ogg' });
    pipeline(child.stdout, res).catch(() => child.kill('SIGKILL'));
    return;
  }
  serve(req, res, () => {
    res.statusCode = 404;
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
