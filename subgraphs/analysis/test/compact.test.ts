// What the compact encoding of analysis data keeps: waveforms within one
// 8-bit step, never inside the real envelope; histograms exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHistogram, decodeWaveform, encodeHistogram, encodeWaveform } from '../src/compact.ts';

test('a waveform comes back within one step of 1/127, its envelope never narrower than the real one', () => {
  const points = 1000;
  const max = Array.from({ length: points }, (_, i) => Math.abs(Math.sin(i / 37)) * 0.98);
  const min = max.map((v, i) => -v * (i % 3 === 0 ? 1 : 0.5));
  const stored = encodeWaveform({ points, min, max });
  assert.equal(stored.peaks.length(), 2 * points, 'two bytes a point');
  const back = decodeWaveform(stored);
  assert.equal(back.points, points);
  for (let i = 0; i < points; i++) {
    assert.ok(back.max[i]! >= max[i]! && back.max[i]! - max[i]! < 1 / 127, `max ${i}`);
    assert.ok(back.min[i]! <= min[i]! && min[i]! - back.min[i]! < 1 / 127, `min ${i}`);
  }
});

test('values past full scale are clipped to the ends of the scale', () => {
  const back = decodeWaveform(encodeWaveform({ points: 2, min: [-1.5, -1], max: [1.5, 1] }));
  assert.deepEqual(back.max, [1, 1]);
  assert.deepEqual(back.min, [-128 / 127, -1]);
});

test('a gating histogram comes back exactly, storing only its non-empty bins', () => {
  const counts = new Array<number>(7000).fill(0);
  const energies = new Array<number>(7000).fill(0);
  for (const bin of [0, 17, 3400, 3401, 6999]) {
    counts[bin] = bin + 1;
    energies[bin] = Math.PI * (bin + 1) * 1e-3;
  }
  const h = { minLufs: -70, stepLu: 0.01, counts, energies };
  const stored = encodeHistogram(h);
  assert.equal(stored.index.length(), 5 * 4);
  assert.deepEqual(decodeHistogram(stored), h);
});
