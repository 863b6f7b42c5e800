// GET|HEAD /stream/:trackId through a real gateway and a real catalog
// (PostgreSQL), both signed with SUBGRAPH_SECRET, over fixture audio on disk:
// access by credentials (the `read` scope) or by a `Track.streamUrl` URL, and
// nothing else (tampered or expired signatures are 403, with or without
// credentials); ids that are paths, encoded slashes or no UUID, unknown
// tracks and files symlinked out of their library are 404; ranges, HEAD and
// no compression of audio; transcodes bounded and their ffmpeg gone when the
// client leaves.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { generateFixtures } from '@tonegraph/fixtures';
import { createLogger } from '@tonegraph/logger';
import { supergraphFile } from '@tonegraph/schema-tools';
import { signStreamPath } from '@tonegraph/streaming';
import {
  ffmpegChildren,
  fetchRaw,
  pausedTranscode,
  probe,
  writeLongFlac,
} from '@tonegraph/streaming/test-support';
import { eventually } from '@tonegraph/testing';
import { parseApiKeys } from '../src/auth/index.ts';
import { createServer, type Gateway } from '../src/server.ts';
import { createTrackFileLookup } from '../src/stream-track.ts';

const SUBGRAPH_SECRET = 'gateway-stream-subgraph-secret-0123';
const STREAM_SECRET = 'gateway-stream-url-secret-0123456789';
const READ_KEY = 'stream-read-key-0123456789';
const ADMIN_KEY = 'stream-admin-key-0123456789';
const reader = { authorization: `Bearer ${READ_KEY}` };
const log = createLogger({ service: 'gateway-stream-test', level: 'silent' });

let dir: string;
let catalog: Harness;
let gateway: Gateway;
let url: string;
/** Track ids by what their file is. */
const ids: Record<'flac' | 'wav' | 'mp3' | 'long' | 'linkOut' | 'gone', string> = {
  flac: '',
  wav: '',
  mp3: '',
  long: '',
  linkOut: '',
  gone: '',
};
let flacBytes: Buffer;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

before(async () => {
  dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tonegraph-gateway-stream-')));
  const root = path.join(dir, 'library');
  const fixtures = await generateFixtures(root, { durationSeconds: 6 });
  await mkdir(path.join(dir, 'outside'));
  await writeFile(path.join(dir, 'outside', 'secret.flac'), 'not for streaming');
  await symlink(path.join(dir, 'outside', 'secret.flac'), path.join(root, 'link-out.flac'));
  await writeLongFlac(path.join(root, 'long.flac'), 600);

  catalog = await startCatalog({
    subgraphSecret: SUBGRAPH_SECRET,
    streamUrls: { secret: STREAM_SECRET, ttlSeconds: 600 },
  });
  const { sql } = catalog.database;
  const [library] = await sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Streamed', ${root}) returning id`;
  const add = async (file: string, format: string, bitrate: number | null) => {
    const size = await stat(file).then(
      (s) => s.size,
      () => 1,
    );
    const [row] = await sql<{ id: string }[]>`
      insert into tracks (library_id, title, file_path, file_size, format, bitrate, duration)
      values (${library!.id}, ${path.basename(file)}, ${file}, ${size}, ${format}, ${bitrate}, 6)
      returning id`;
    return row!.id;
  };
  const fixture = (ext: string) => path.join(root, fixtures.tracks.find((t) => t.ext === ext)!.file);
  ids.flac = await add(fixture('flac'), 'flac', 900_000);
  ids.wav = await add(fixture('wav'), 'wav', 1_411_200);
  ids.mp3 = await add(fixture('mp3'), 'mp3', 192_000);
  ids.long = await add(path.join(root, 'long.flac'), 'flac', 300_000);
  ids.linkOut = await add(path.join(root, 'link-out.flac'), 'flac', 900_000);
  ids.gone = await add(path.join(root, 'deleted.flac'), 'flac', 900_000);
  flacBytes = await readFile(fixture('flac'));

  gateway = createServer({
    supergraphSdl: await readFile(supergraphFile, 'utf8'),
    // Only the catalog answers; the other subgraphs are never asked here.
    subgraphUrls: { catalog: catalog.url },
    subgraphSecret: SUBGRAPH_SECRET,
    subgraphTimeoutMs: 5000,
    development: false,
    auth: { apiKeys: parseApiKeys(`player:${READ_KEY}:read,ops:${ADMIN_KEY}:admin`) },
    stream: { secret: STREAM_SECRET, maxTranscodes: 1 },
    log,
  });
  await gateway.start();
  url = await listen(gateway.httpServer);
});

after(async () => {
  await gateway?.stop();
  await catalog?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const codeOf = (body: Buffer) =>
  (JSON.parse(body.toString()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code;

/** `Track.streamUrl` as a client asks the gateway for it. */
async function streamUrl(id: string, args = ''): Promise<string> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { ...reader, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `query($id: ID!) { track(id: $id) { streamUrl${args} } }`,
      variables: { id },
    }),
  });
  const body = (await res.json()) as { data?: { track: { streamUrl: string } }; errors?: unknown[] };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data!.track.streamUrl;
}

test('credentials: none or a wrong key is 401; a key with the read scope (admin implies it) gets the file', async () => {
  const none = await fetchRaw(`${url}/stream/${ids.flac}`);
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer');
  const wrong = await fetchRaw(`${url}/stream/${ids.flac}`, {
    headers: { 'x-api-key': 'not-a-key-0123456789' },
  });
  assert.equal(wrong.status, 401);
  const admin = await fetchRaw(`${url}/stream/${ids.flac}`, { headers: { 'x-api-key': ADMIN_KEY } });
  assert.equal(admin.status, 200);
  const ok = await fetchRaw(`${url}/stream/${ids.flac}`, { headers: reader });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['content-type'], 'audio/flac');
  assert.ok(ok.body.equals(flacBytes));
  assert.ok(ok.headers['x-request-id']);
});

test('ranges, 416, conditional requests and HEAD reach the file through the gateway', async () => {
  const size = flacBytes.length;
  const suffix = await fetchRaw(`${url}/stream/${ids.flac}`, { headers: { ...reader, range: 'bytes=-500' } });
  assert.equal(suffix.status, 206);
  assert.equal(suffix.headers['content-range'], `bytes ${size - 500}-${size - 1}/${size}`);
  assert.ok(suffix.body.equals(flacBytes.subarray(size - 500)));
  const outside = await fetchRaw(`${url}/stream/${ids.flac}`, {
    headers: { ...reader, range: `bytes=${size}-` },
  });
  assert.equal(outside.status, 416);
  assert.equal(outside.headers['content-range'], `bytes */${size}`);
  const head = await fetchRaw(`${url}/stream/${ids.flac}`, { method: 'HEAD', headers: reader });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(size));
  assert.equal(head.body.length, 0);
  const cached = await fetchRaw(`${url}/stream/${ids.flac}`, {
    headers: { ...reader, 'if-none-match': String(head.headers.etag) },
  });
  assert.equal(cached.status, 304);
});

test('audio is never compressed, whatever the client accepts', async () => {
  for (const id of [ids.wav, ids.flac]) {
    const res = await fetchRaw(`${url}/stream/${id}`, {
      headers: { ...reader, 'accept-encoding': 'gzip, br' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.headers['content-length'], String(res.body.length));
  }
  const transcode = await fetchRaw(`${url}/stream/${ids.flac}?format=mp3`, {
    headers: { ...reader, 'accept-encoding': 'gzip' },
  });
  assert.equal(transcode.status, 200);
  assert.equal(transcode.headers['content-encoding'], undefined);
});

test('a Track.streamUrl URL plays without credentials: the original with ranges, or a transcode', async () => {
  const original = await streamUrl(ids.flac);
  assert.match(original, new RegExp(`^/stream/${ids.flac}\\?format=raw&expires=\\d+&sig=[\\w-]+$`));
  const ranged = await fetchRaw(`${url}${original}`, { headers: { range: 'bytes=0-99' } });
  assert.equal(ranged.status, 206);
  assert.ok(ranged.body.equals(flacBytes.subarray(0, 100)));

  const opus = await streamUrl(ids.flac, '(format: OPUS, maxBitRate: 96)');
  const res = await fetchRaw(`${url}${opus}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'audio/ogg');
  const out = path.join(dir, 'signed.opus');
  await writeFile(out, res.body);
  assert.equal((await probe(out)).codec, 'opus');
  // A seeking player appends timeOffset; the signature does not cover it.
  assert.equal((await fetchRaw(`${url}${opus}&timeOffset=2`)).status, 200);
});

test('a tampered or expired signed URL is 403, with or without credentials', async () => {
  const signed = await streamUrl(ids.flac, '(format: MP3, maxBitRate: 128)');
  const cases: [string, string, string][] = [
    ['another track', signed.replace(ids.flac, ids.wav), 'STREAM_SIGNATURE_INVALID'],
    ['format', signed.replace('format=mp3', 'format=raw'), 'STREAM_SIGNATURE_INVALID'],
    ['bitrate', signed.replace('maxBitRate=128', 'maxBitRate=320'), 'STREAM_SIGNATURE_INVALID'],
    [
      'expiry',
      signed.replace(/expires=(\d+)/, (_, e: string) => `expires=${Number(e) + 86_400}`),
      'STREAM_SIGNATURE_INVALID',
    ],
    [
      'signature',
      signed.replace(/sig=([\w-])/, (_, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`),
      'STREAM_SIGNATURE_INVALID',
    ],
    [
      'expired',
      signStreamPath(STREAM_SECRET, {
        trackId: ids.flac,
        request: { format: 'mp3', maxBitRate: 128 },
        expiresAt: new Date(Date.now() - 1000),
      }),
      'STREAM_URL_EXPIRED',
    ],
    [
      'another secret',
      signStreamPath('some-other-secret-0123456789', {
        trackId: ids.flac,
        request: { format: 'raw' },
        expiresAt: new Date(Date.now() + 60_000),
      }),
      'STREAM_SIGNATURE_INVALID',
    ],
  ];
  for (const [what, target, code] of cases) {
    for (const headers of [{}, reader]) {
      const res = await fetchRaw(`${url}${target}`, { headers });
      assert.equal(res.status, 403, what);
      assert.equal(codeOf(res.body), code, what);
    }
  }
});

test('ids that are paths, encoded slashes or not UUIDs, unknown tracks and files out of the library are 404', async () => {
  const targets = [
    '/stream/..%2F..%2F..%2Fetc%2Fpasswd',
    '/stream/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/stream/..%5C..%5Cwindows',
    `/stream/${ids.flac}%2F..%2F..`,
    `/stream/${ids.flac}/..`,
    '/stream/not-a-track',
    '/stream/00000000-0000-4000-8000-000000000000',
    `/stream/${ids.linkOut}`,
    `/stream/${ids.gone}`,
  ];
  for (const target of targets) {
    const res = await fetchRaw(`${url}${target}`, { headers: reader });
    assert.equal(res.status, 404, target);
    assert.equal(codeOf(res.body), 'TRACK_NOT_FOUND', target);
  }
  // A signed URL for the symlinked track does not help either.
  const signed = signStreamPath(STREAM_SECRET, {
    trackId: ids.linkOut,
    request: { format: 'raw' },
    expiresAt: new Date(Date.now() + 60_000),
  });
  assert.equal((await fetchRaw(`${url}${signed}`)).status, 404);
});

test('bad stream parameters are 400', async () => {
  const res = await fetchRaw(`${url}/stream/${ids.flac}?format=flac`, { headers: reader });
  assert.equal(res.status, 400);
  assert.equal(codeOf(res.body), 'BAD_STREAM_REQUEST');
});

test('past STREAM_MAX_TRANSCODES a transcode is 503 with Retry-After; ffmpeg is gone when its client leaves', async () => {
  const { res: first, pid } = await pausedTranscode(`${url}/stream/${ids.long}?format=opus`, reader);

  const refused = await fetchRaw(`${url}/stream/${ids.flac}?format=mp3`, { headers: reader });
  assert.equal(refused.status, 503);
  assert.ok(Number(refused.headers['retry-after']) > 0);
  assert.equal(codeOf(refused.body), 'TRANSCODES_BUSY');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /^tonegraph_stream_transcodes_refused_total 1$/m);
  assert.match(metrics, /^tonegraph_stream_transcodes_active 1$/m);

  first.destroy();
  await eventually(async () => !(await ffmpegChildren()).includes(pid), { what: `ffmpeg ${pid} gone` });
  await eventually(
    async () => (await fetchRaw(`${url}/stream/${ids.flac}?format=mp3`, { headers: reader })).status === 200,
    {
      what: 'a transcode slot free again',
    },
  );
});

test('a track’s lookup is reused for STREAM_LOOKUP_TTL_MS: concurrent and repeated requests ask the catalog once; a removed track ends with it', async () => {
  // The catalog behind a pass-through that counts what reaches it.
  let asked = 0;
  const proxy = createHttpServer((req, res) => {
    asked++;
    const upstream = httpRequest(catalog.url, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  const deps = { catalogUrl: `${await listen(proxy)}/graphql`, secret: SUBGRAPH_SECRET, timeoutMs: 5000 };
  let now = 1_000;
  const lookup = createTrackFileLookup({ ttlMs: 1_000, perf: { now: () => now } });
  const { sql } = catalog.database;
  try {
    const copy = path.join(dir, 'library', 'short-lived.flac');
    await writeFile(copy, flacBytes);
    const [track] = await sql<{ id: string }[]>`
      insert into tracks (library_id, title, file_path, file_size, format, bitrate, duration)
      select library_id, 'Short-lived', ${copy}, file_size, format, bitrate, duration from tracks where id = ${ids.flac}
      returning id`;
    const files = await Promise.all(Array.from({ length: 8 }, () => lookup(deps, track!.id)));
    assert.equal(asked, 1, 'eight lookups at once: one question');
    assert.ok(files.every((f) => f?.trackId === track!.id && f.path === files[0]!.path));
    assert.equal((await lookup(deps, track!.id))?.trackId, track!.id);
    assert.equal(asked, 1, 'asked again within the TTL: kept');

    // Not found is never kept: the track may be imported a moment later.
    const unknown = '00000000-0000-4000-8000-000000000001';
    assert.equal(await lookup(deps, unknown), null);
    assert.equal(await lookup(deps, unknown), null);
    assert.equal(asked, 3);

    await sql`delete from tracks where id = ${track!.id}`;
    assert.equal((await lookup(deps, track!.id))?.trackId, track!.id, 'removed, but within the TTL');
    assert.equal(asked, 3);
    now += 1_001;
    await delay(5); // lru-cache rereads its clock at most once a millisecond
    assert.equal(await lookup(deps, track!.id), null, 'past the TTL the catalog is asked, and says no');
    assert.equal(asked, 4);

    // TTL 0: every lookup asks.
    const uncached = createTrackFileLookup({ ttlMs: 0 });
    await uncached(deps, ids.flac);
    await uncached(deps, ids.flac);
    assert.equal(asked, 6);
  } finally {
    proxy.closeAllConnections(); // undici keeps its connection to the proxy alive
    await new Promise((resolve) => proxy.close(resolve));
  }
});
