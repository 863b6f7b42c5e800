// gateway/src/console.ts on its own: 503 before the build, then the build's
// files with a year of caching for hashed assets and none for index.html.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import express from 'express';
import { mountConsole } from '../src/console.ts';

test('/console/ is a clear 503 until the console is built, then served with fitting cache headers', async () => {
  const dist = await mkdtemp(path.join(tmpdir(), 'tonegraph-console-dist-'));
  const app = express();
  mountConsole(app, { distDir: dist });
  app.use((_req, res) => {
    res.status(404).send('not found');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const missing = await fetch(`${base}/console/`);
    assert.equal(missing.status, 503);
    assert.equal(await missing.text(), 'console not built: npm run build -w console\n');

    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    const index = await fetch(`${base}/console/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(await index.text(), /<title>console<\/title>/);
    const asset = await fetch(`${base}/console/assets/index-abc123.js`);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${base}/console/nope.js`)).status, 404);
    const bare = await fetch(`${base}/console?x=1`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/console/?x=1');
  } finally {
    server.close();
    await rm(dist, { recursive: true, force: true });
  }
});
