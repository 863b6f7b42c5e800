import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  createAcoustIdClient,
  createHostClient,
  fingerprintFile,
  FingerprintError,
  HttpStatusError,
  parseFpcalcOutput,
  type HostClient,
} from '../src/index.ts';
import { startFakes, type Fakes } from './fakes/index.ts';
import { FAST_POLICY, useTempDir } from './helpers.ts';

const run = promisify(execFile);
// Captured from fpcalc 1.5.1 (Debian libchromaprint-tools): a clean file
// (exit 0), and an MP3 with garbage appended (exit 3, errors on stderr,
// yet a valid fingerprint on stdout).
const CAPTURED_OK =
  '{"duration": 12.00, "fingerprint": "AQAAS0mUaEkSZSoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}\n';
const CAPTURED_EXIT_3 = '{"duration": 12.07, "fingerprint": "AQAACEmUaEkSZSoAAAA"}\n';

describe('AcoustID', () => {
  const tmp = useTempDir();
  let fakes: Fakes;
  let host: HostClient;
  before(async () => {
    fakes = await startFakes({
      fingerprints: Object.fromEntries(
        Array.from({ length: 25 }, (_, i) => [
          `AQAAfingerprint${i}`,
          [{ id: `acoustid-track-${i}`, score: 0.9, recordings: [{ id: `recording-${i}` }] }],
        ]),
      ),
    });
    host = createHostClient({
      name: 'acoustid',
      baseUrl: fakes.acoustid.url,
      userAgent: 'Tonegraph/0.1.0 ( test )',
      rate: { perSecond: 3 },
      ...FAST_POLICY,
    });
  });
  after(async () => {
    await host.close();
    await fakes.close();
  });
  beforeEach(() => {
    fakes.acoustid.requests.length = 0;
  });

  test('fpcalc output is parsed whatever the exit code; junk is not a fingerprint', () => {
    assert.deepEqual(parseFpcalcOutput(CAPTURED_OK), {
      duration: 12,
      fingerprint: 'AQAAS0mUaEkSZSoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    assert.deepEqual(parseFpcalcOutput(CAPTURED_EXIT_3), {
      duration: 12.07,
      fingerprint: 'AQAACEmUaEkSZSoAAAA',
    });
    assert.equal(parseFpcalcOutput(''), undefined);
    assert.equal(parseFpcalcOutput('ERROR: Could not open the input file'), undefined);
    assert.equal(parseFpcalcOutput('{"duration": 0, "fingerprint": "AQAACEmUaEkSZSoAAAA"}'), undefined);
    assert.equal(parseFpcalcOutput('{"duration": 3, "fingerprint": ""}'), undefined);
  });

  test('exit code 3 with a fingerprint on stdout is a fingerprint; exit 2 without one is an error', async () => {
    const fake = path.join(tmp(), 'fpcalc-exit3.sh');
    await writeFile(
      fake,
      `#!/bin/sh\nprintf '%s' '${CAPTURED_EXIT_3.trim()}'\necho 'ERROR: Error decoding audio frame' >&2\nexit 3\n`,
    );
    await chmod(fake, 0o755);
    assert.deepEqual(await fingerprintFile('/any.mp3', { binary: fake }), {
      duration: 12.07,
      fingerprint: 'AQAACEmUaEkSZSoAAAA',
    });
    const failing = path.join(tmp(), 'fpcalc-exit2.sh');
    await writeFile(failing, `#!/bin/sh\necho 'ERROR: Could not open the input file' >&2\nexit 2\n`);
    await chmod(failing, 0o755);
    await assert.rejects(fingerprintFile('/any.mp3', { binary: failing }), FingerprintError);
  });

  // fpcalc is Debian's libchromaprint-tools, which `npm run stack -- up` installs.
  test('real fpcalc fingerprints a generated file, and a damaged one (exit 3) still yields one', async () => {
    const mp3 = path.join(tmp(), 'tone.mp3');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=12',
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=d=12:a=0.1:seed=7',
      '-filter_complex',
      'amix=inputs=2',
      '-ac',
      '1',
      mp3,
    ]);
    const clean = await fingerprintFile(mp3);
    assert.ok(Math.abs(clean.duration - 12) < 0.5, `duration ${clean.duration}`);
    assert.match(clean.fingerprint, /^AQA/);
    await appendFile(
      mp3,
      Buffer.alloc(20_000, 0x5a).map((b, i) => (b ^ (i * 7)) & 0xff),
    );
    const code = await run('fpcalc', ['-json', mp3]).then(
      () => 0,
      (e: { code?: number }) => e.code,
    );
    const damaged = await fingerprintFile(mp3);
    assert.match(damaged.fingerprint, /^AQA/);
    console.log(
      `fpcalc on the damaged file exited ${code} and gave a ${damaged.fingerprint.length}-character fingerprint`,
    );
  });

  test('lookups made together share one batched request (fingerprint.N / duration.N)', async () => {
    const client = createAcoustIdClient(host, { apiKey: 'test-key', batchSize: 10, batchWindowMs: 30 });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.lookup({ fingerprint: `AQAAfingerprint${i}`, duration: 200 + i }),
      ),
    );
    assert.equal(fakes.acoustid.requests.length, 1);
    const form = new URLSearchParams(fakes.acoustid.requests[0]!.body);
    assert.equal(form.get('batch'), '1');
    assert.equal(form.get('fingerprint.4'), 'AQAAfingerprint4');
    assert.equal(form.get('duration.4'), '204');
    assert.deepEqual(
      results.map((r) => r[0]?.recordings?.[0]?.id),
      ['recording-0', 'recording-1', 'recording-2', 'recording-3', 'recording-4'],
    );
  });

  test('batches are capped, and requests keep to 3 per second', async () => {
    const client = createAcoustIdClient(host, { apiKey: 'test-key', batchSize: 5, batchWindowMs: 10 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.lookup({ fingerprint: `AQAAfingerprint${i}`, duration: 100 }),
      ),
    );
    assert.equal(results.filter((r) => r.length === 1).length, 20);
    assert.equal(fakes.acoustid.requests.length, 4);
    const gaps = fakes.acoustid.gaps();
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(mean >= 333 - 25, `mean gap ${mean.toFixed(0)} ms`);
    console.log(`AcoustID spacing at 3/s: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
  });

  test('a bad API key is a permanent error for every lookup of the batch', async () => {
    const client = createAcoustIdClient(host, { apiKey: 'wrong', batchWindowMs: 5 });
    await assert.rejects(client.lookup({ fingerprint: 'AQAAfingerprint1', duration: 100 }), HttpStatusError);
  });
});
