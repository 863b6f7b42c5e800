// The stream benchmark's baseline: the same files served by serve-static on
// a bare node:http server, as a process of its own like the gateway.
//   STATIC_ROOT=<dir> PORT=<port> node bench/support/static-server.ts
import { createServer } from 'node:http';
import serveStatic from 'serve-static';

const root = process.env['STATIC_ROOT'];
if (!root) throw new Error('STATIC_ROOT is required');
const serve = serveStatic(root, { index: false, fallthrough: true });
const server = createServer((req, res) => {
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
