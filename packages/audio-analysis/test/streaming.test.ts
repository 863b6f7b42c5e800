import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ffmpegDecoder, TrackAnalyser, wasmDecoder } from '../src/index.ts';
import { synthesize, useTempDir } from './helpers.ts';

const RATE = 22_050;

/** Feeds `seconds` of a tone with bursts, in 4096-frame chunks; returns retained state after each minute. */
function feed(a: TrackAnalyser, seconds: number, channels: number): number[] {
  const chunkFrames = 4096;
  const chunk = new Float32Array(chunkFrames * channels);
  const retained: number[] = [];
  let frame = 0;
  let nextMinute = 60 * RATE;
  while (frame < seconds * RATE) {
    for (let i = 0; i < chunkFrames; i++) {
      const t = (frame + i) / RATE;
      const v = (t % 0.5 < 0.05 ? 0.5 : 0.1) * Math.sin(2 * Math.PI * 220 * t);
      for (let c = 0; c < channels; c++) chunk[i * channels + c] = v;
    }
    a.push(chunk);
    frame += chunkFrames;
    if (frame >= nextMinute) {
      retained.push(a.retainedBytes);
      nextMinute += 60 * RATE;
    }
  }
  return retained;
}

describe('streaming', () => {
  const tmp = useTempDir();

  test('analyser state does not grow with length: 20 minutes hold what 1 minute holds', () => {
    // The duration hint is deliberately 4x too short: the waveform must rebin, not grow.
    const a = new TrackAnalyser({ sampleRate: RATE, channels: 2 }, { expectedFrames: 5 * 60 * RATE });
    const retained = feed(a, 20 * 60, 2);
    assert.equal(retained.length, 20);
    assert.ok(retained[0]! < 1024 * 1024, `retained ${retained[0]} bytes`);
    assert.deepEqual(new Set(retained).size, 1, `retained bytes changed over time: ${retained.join(', ')}`);
    const result = a.finish();
    assert.ok(Math.abs(result.durationSeconds - 1200) < 0.2);
    for (const w of result.waveforms) {
      assert.equal(w.min.length, w.points);
      assert.equal(w.max.length, w.points);
      // Every point of a stationary signal sees a burst (0.5) somewhere, and the last point is filled.
      assert.ok(
        w.max.every((v) => v > 0.09),
        `${w.points}-point waveform has empty points`,
      );
    }
    const finest = result.waveforms.find((w) => w.points === 4096)!;
    assert.ok(Math.max(...finest.max) > 0.49 && Math.max(...finest.max) <= 0.5001);
  });

  test('waveform points follow the audio: a track silent in its first half', () => {
    const frames = 10 * RATE;
    const a = new TrackAnalyser({ sampleRate: RATE, channels: 1 }, { expectedFrames: frames });
    const pcm = new Float32Array(frames);
    for (let i = frames / 2; i < frames; i++) pcm[i] = 0.8 * Math.sin(i / 3);
    a.push(pcm);
    const w = a.finish().waveforms.find((x) => x.points === 256)!;
    assert.ok(w.max.slice(0, 127).every((v) => v === 0));
    assert.ok(w.max.slice(129).every((v) => v > 0.7));
    assert.ok(w.min.slice(129).every((v) => v < -0.7));
  });

  for (const decoder of [ffmpegDecoder, wasmDecoder]) {
    test(`${decoder.name} decoder yields bounded chunks from one reused buffer (20-minute file)`, async () => {
      const file = await synthesize(path.join(tmp(), `long-${decoder.name}.flac`), '0.25*sin(2*PI*220*t)', {
        rate: 8000,
        channels: 2,
        seconds: 1200,
        codec: ['-c:a', 'flac'],
      });
      let frames = 0;
      let largest = 0;
      const buffers = new Set<ArrayBufferLike>();
      for await (const chunk of decoder.decode(file, { sampleRate: 8000, channels: 2 })) {
        frames += chunk.length / 2;
        largest = Math.max(largest, chunk.length);
        buffers.add(chunk.buffer);
      }
      assert.equal(frames, 1200 * 8000);
      assert.ok(largest <= 256 * 1024, `largest chunk ${largest} samples`);
      assert.ok(buffers.size <= 4, `${buffers.size} distinct buffers: PCM is being accumulated`);
    });
  }

  test('whole-file mode (the benchmark baseline) yields the same PCM in one chunk', async () => {
    const file = await synthesize(path.join(tmp(), 'short.flac'), '0.25*sin(2*PI*220*t)', {
      rate: 8000,
      channels: 2,
      seconds: 30,
      codec: ['-c:a', 'flac'],
    });
    const chunks = [];
    for await (const chunk of ffmpegDecoder.decode(
      file,
      { sampleRate: 8000, channels: 2 },
      { wholeFile: true },
    )) {
      chunks.push(chunk.length);
    }
    assert.deepEqual(chunks, [30 * 8000 * 2]);
  });
});
