import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import {
  AnalysisQueueFullError,
  AnalysisTimeoutError,
  AnalysisWorkerError,
  createAnalysisPool,
  UndecodableAudioError,
} from '../src/index.ts';
import { decoderProcesses, decoderProcessesGone, synthesize, useTempDir } from './helpers.ts';

const execFileAsync = promisify(execFile);

/** ffmpeg processes whose command line names `file`. */
async function ffmpegFor(file: string): Promise<string[]> {
  const { stdout } = await execFileAsync('pgrep', ['-af', 'ffmpeg']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter((l) => l.includes(file));
}

/** An MP3 whose ID3 tag holds one `mb`-megabyte text frame: parsing it needs that much heap. */
async function hugeTagMp3(mp3: string, out: string, mb: number): Promise<void> {
  const audio = await readFile(mp3);
  const oldTag = 10 + ((audio[6]! << 21) | (audio[7]! << 14) | (audio[8]! << 7) | audio[9]!);
  const text = Buffer.alloc(mb * 1024 * 1024 + 2, 0x41);
  text[0] = 0; // encoding latin1, then an empty description
  text[1] = 0;
  const frame = Buffer.alloc(10);
  frame.write('TXXX', 0, 'latin1');
  frame.writeUInt32BE(text.length, 4);
  const size = frame.length + text.length;
  const header = Buffer.from([
    0x49,
    0x44,
    0x33,
    3,
    0,
    0,
    (size >> 21) & 0x7f,
    (size >> 14) & 0x7f,
    (size >> 7) & 0x7f,
    size & 0x7f,
  ]);
  await writeFile(out, Buffer.concat([header, frame, text, audio.subarray(oldTag)]));
}

describe('analysis pool', () => {
  const tmp = useTempDir();
  let fixtures: FixtureSet;
  /** Ten minutes of audio: far longer to analyse than the deadlines below. */
  let long: string;
  before(async () => {
    fixtures = await generateFixtures(path.join(tmp(), 'fixtures'), { durationSeconds: 4 });
    long = await synthesize(path.join(tmp(), 'long.wav'), '0.1*sin(2*PI*440*t)', {
      rate: 22_050,
      channels: 2,
      seconds: 600,
      codec: ['-c:a', 'pcm_s16le'],
    });
  });

  test('analyses every format in worker threads, same results as in-thread', async () => {
    const pool = createAnalysisPool({ threads: 2 });
    try {
      const results = await Promise.all(
        fixtures.tracks.map((t) => pool.analyze(path.join(fixtures.dir, t.file))),
      );
      for (const [i, r] of results.entries()) {
        assert.equal(r.channels, 2, fixtures.tracks[i]!.file);
        assert.ok(
          r.loudness.integratedLufs! > -12 && r.loudness.integratedLufs! < -9,
          fixtures.tracks[i]!.file,
        );
        assert.equal(r.waveforms.length, 3);
      }
      const broken = fixtures.others.find((o) => o.kind === 'random-bytes')!;
      await assert.rejects(pool.analyze(path.join(fixtures.dir, broken.file)), UndecodableAudioError);
    } finally {
      await pool.close();
    }
  });

  test('a task past its deadline rejects with AnalysisTimeoutError and its ffmpeg is gone', async () => {
    // A WAV is read directly by the default decoder; ask for ffmpeg to have a process to kill.
    const pool = createAnalysisPool({ threads: 1, taskTimeoutMs: 300, decoder: 'ffmpeg' });
    try {
      await assert.rejects(pool.analyze(long), AnalysisTimeoutError);
      assert.deepEqual(await ffmpegFor(long), []);
    } finally {
      await pool.close();
    }
  });

  test('the default decoder reading a WAV directly keeps the deadline and the abort', async () => {
    // Ten minutes take the worker far longer than 50 ms to read and analyse.
    const timed = createAnalysisPool({ threads: 1, taskTimeoutMs: 50 });
    try {
      await assert.rejects(timed.analyze(long), AnalysisTimeoutError);
      assert.deepEqual(await ffmpegFor(long), []);
    } finally {
      await timed.close();
    }
    const pool = createAnalysisPool({ threads: 1 });
    try {
      const controller = new AbortController();
      const running = pool.analyze(long, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('stop')), 50);
      await assert.rejects(running, /stop/);
      // The pool carries on with a fresh worker.
      const ok = await pool.analyze(path.join(fixtures.dir, fixtures.tracks[0]!.file));
      assert.ok(ok.loudness.integratedLufs !== null);
    } finally {
      await pool.close();
    }
  });

  test('aborting a running task kills its worker and ffmpeg and rejects with the reason', async () => {
    const pool = createAnalysisPool({ threads: 1, decoder: 'ffmpeg' });
    try {
      const controller = new AbortController();
      const running = pool.analyze(long, { signal: controller.signal });
      // Abort once ffmpeg is running for this file.
      for (let i = 0; i < 500 && (await ffmpegFor(long)).length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      controller.abort(new Error('stop'));
      await assert.rejects(running, /stop/);
      // ffmpeg dies on its broken pipe once the worker is gone.
      for (let i = 0; i < 200 && (await ffmpegFor(long)).length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await ffmpegFor(long), []);
    } finally {
      await pool.close();
    }
  });

  test('a thread keeps one decoder process; it ends with an aborted task and with the pool', async () => {
    const longMp3 = await synthesize(path.join(tmp(), 'long.mp3'), '0.1*sin(2*PI*440*t)', {
      rate: 44_100,
      channels: 2,
      seconds: 300,
      codec: ['-c:a', 'libmp3lame'],
    });
    const compressed = fixtures.tracks.filter((t) => ['mp3', 'm4a', 'flac', 'ogg'].includes(t.ext));
    const pool = createAnalysisPool({ threads: 1 });
    try {
      for (let round = 0; round < 3; round++) {
        await Promise.all(compressed.map((t) => pool.analyze(path.join(fixtures.dir, t.file))));
      }
      assert.equal((await decoderProcesses()).length, 1, 'one process decodes file after file');
      const controller = new AbortController();
      const running = pool.analyze(longMp3, { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 300));
      const busy = await decoderProcesses();
      controller.abort(new Error('stop'));
      await assert.rejects(running, /stop/);
      // The aborted task's worker is gone, and with it its process (its pipes closed).
      await decoderProcessesGone(busy);
      const ok = await pool.analyze(path.join(fixtures.dir, compressed[0]!.file));
      assert.ok(ok.loudness.integratedLufs !== null);
      assert.equal((await decoderProcesses()).length, 1);
    } finally {
      await pool.close();
    }
    await decoderProcessesGone(await decoderProcesses());
  });

  test('a worker killed by its heap limit gives AnalysisWorkerError, and the pool carries on', async () => {
    const mp3 = path.join(fixtures.dir, fixtures.tracks.find((t) => t.ext === 'mp3')!.file);
    const bomb = path.join(tmp(), 'huge-tag.mp3');
    await hugeTagMp3(mp3, bomb, 96);
    const pool = createAnalysisPool({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    try {
      await assert.rejects(pool.analyze(bomb), (error: unknown) => {
        assert.ok(error instanceof AnalysisWorkerError, String(error));
        assert.equal(error.code, 'ERR_WORKER_OUT_OF_MEMORY');
        assert.match(error.message, /out of memory/);
        return true;
      });
      const ok = await pool.analyze(mp3);
      assert.ok(ok.loudness.integratedLufs !== null);
    } finally {
      await pool.close();
    }
  });

  test('a full queue rejects with AnalysisQueueFullError; close() is idempotent', async () => {
    const pool = createAnalysisPool({ threads: 1, maxQueue: 1 });
    const file = path.join(fixtures.dir, fixtures.tracks[0]!.file);
    // Once the worker is up, one task runs, one waits, the rest are refused.
    await pool.analyze(file);
    const tasks = Array.from({ length: 6 }, () => pool.analyze(file));
    const settled = await Promise.allSettled(tasks);
    const full = settled.filter((s) => s.status === 'rejected');
    assert.ok(full.length >= 1);
    for (const s of full) assert.ok(s.reason instanceof AnalysisQueueFullError);
    assert.ok(settled.some((s) => s.status === 'fulfilled'));
    const first = pool.close();
    assert.equal(pool.close(), first);
    await first;
    await assert.rejects(pool.analyze(file), /closed/);
  });

  test('a waiting task can be aborted, and close() refuses the tasks still waiting', async () => {
    // ffmpeg: decoding the ten minutes keeps the first task running while the others wait.
    const pool = createAnalysisPool({ threads: 1, decoder: 'ffmpeg' });
    const file = path.join(fixtures.dir, fixtures.tracks[0]!.file);
    const first = new AbortController();
    const running = pool.analyze(long, { signal: first.signal });
    const second = new AbortController();
    const aborted = pool.analyze(file, { signal: second.signal });
    const refused = pool.analyze(file);
    second.abort(new Error('no longer needed'));
    await assert.rejects(aborted, /no longer needed/);
    const closed = pool.close();
    await assert.rejects(refused, /closed/);
    first.abort(new Error('stop'));
    await assert.rejects(running, /stop/);
    await closed;
  });
});
