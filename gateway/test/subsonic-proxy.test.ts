// The gateway's /rest/ proxy to the Subsonic service (src/subsonic-proxy.ts),
// against a real upstream HTTP server standing in for the service: requests
// go up as they are (query, Range, form bodies), responses come down as they
// are produced (no buffering, no compression, no request deadline), a player
// that leaves ends the upstream request, and a service that is down is a 502.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { supergraphFile } from '@tonegraph/schema-tools';
import { startGateway, type RunningGateway } from './support.ts';

let upstream: Server;
let gw: RunningGateway;
let base: string;
let endlessClosed: Promise<void>;
let markEndlessClosed: () => void;
const DEADLINE_MS = 300;

async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://upstream');
  if (url.pathname === '/rest/echo.view') {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    res.writeHead(req.headers.range ? 206 : 200, {
      'content-type': 'application/json',
      ...(req.headers.range ? { 'content-range': 'bytes 0-3/10' } : {}),
    });
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        range: req.headers.range ?? null,
        forwardedFor: req.headers['x-forwarded-for'] ?? null,
        body,
      }),
    );
    return;
  }
  if (url.pathname === '/rest/slow.view') {
    // Compressible, larger than the compression threshold, and slower than the gateway's deadline.
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.write('a'.repeat(2000));
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 2));
    res.end('b'.repeat(2000));
    return;
  }
  if (url.pathname === '/rest/endless.view') {
    res.writeHead(200, { 'content-type': 'audio/mpeg' });
    const timer = setInterval(() => res.write(Buffer.alloc(1024)), 20);
    res.on('close', () => {
      clearInterval(timer);
      markEndlessClosed();
    });
    return;
  }
  res.writeHead(404).end();
}

before(async () => {
  endlessClosed = new Promise((resolve) => (markEndlessClosed = resolve));
  upstream = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  gw = await startGateway(await readFile(supergraphFile, 'utf8'), {
    subsonicUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    limits: { requestTimeoutMs: DEADLINE_MS },
  });
  base = gw.url.replace(/\/graphql$/, '');
});
after(async () => {
  await gw?.stop();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

test('a GET goes up with its query and Range header; the status and headers come back', async () => {
  const res = await fetch(`${base}/rest/echo.view?u=ann&t=abc&s=x&id=1&id=2`, {
    headers: { range: 'bytes=0-3' },
  });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), 'bytes 0-3/10');
  const body = (await res.json()) as { method: string; url: string; range: string; forwardedFor: string };
  assert.equal(body.method, 'GET');
  assert.equal(body.url, '/rest/echo.view?u=ann&t=abc&s=x&id=1&id=2');
  assert.equal(body.range, 'bytes=0-3');
  assert.equal(body.forwardedFor, '127.0.0.1');
});

test('a form POST (OpenSubsonic formPost) goes up with its body', async () => {
  const form = new URLSearchParams({ u: 'ann', p: 'secret', id: 'x' });
  const res = await fetch(`${base}/rest/echo.view`, { method: 'POST', body: form });
  const body = (await res.json()) as { method: string; body: string };
  assert.deepEqual([body.method, body.body], ['POST', form.toString()]);
});

test('a response outlives the request deadline and is passed on uncompressed', async () => {
  const res = await fetch(`${base}/rest/slow.view`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-encoding'), null);
  const text = await res.text();
  assert.equal(text, 'a'.repeat(2000) + 'b'.repeat(2000));
});

test('bytes arrive as the service sends them, and a player that leaves ends the upstream request', async () => {
  const abort = new AbortController();
  const res = await fetch(`${base}/rest/endless.view`, { signal: abort.signal });
  const reader = res.body!.getReader();
  let received = 0;
  while (received < 8 * 1024) {
    const { value } = (await reader.read()) as { value?: Uint8Array };
    received += value?.length ?? 0;
  }
  abort.abort();
  await Promise.race([
    endlessClosed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('upstream request still open')), 5000)),
  ]);
});

test('a Subsonic service that is down is a 502', async () => {
  const down = await startGateway(await readFile(supergraphFile, 'utf8'), {
    subsonicUrl: 'http://127.0.0.1:9',
  });
  try {
    const res = await fetch(`${down.url.replace(/\/graphql$/, '')}/rest/ping.view`);
    assert.equal(res.status, 502);
  } finally {
    await down.stop();
  }
});
