import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { analyzeFile, TrackAnalyser } from '../src/index.ts';
import { useTempDir, writeFloatWav } from './helpers.ts';
import { beatPattern, random, toChannels } from './synth.ts';

const RATE = 44_100;

function analyse(mono: Float32Array, options: ConstructorParameters<typeof TrackAnalyser>[1] = {}) {
  const a = new TrackAnalyser({ sampleRate: RATE, channels: 2 }, options);
  const stereo = toChannels(mono, 2);
  for (let i = 0; i < stereo.length; i += 8192) a.push(stereo.subarray(i, i + 8192));
  return a.finish();
}

describe('tempo', () => {
  const tmp = useTempDir();

  test('synthetic beat patterns over a noise floor: within 2 % at 80–174 BPM', () => {
    const rows = [];
    for (const bpm of [80, 90, 100, 120, 128, 140, 174]) {
      const tempo = analyse(beatPattern(bpm, 30, RATE, bpm)).tempo;
      rows.push({ bpm, measured: tempo?.bpm, confidence: tempo?.confidence });
      assert.ok(tempo, `${bpm} BPM: no tempo`);
      assert.ok(Math.abs(tempo.bpm - bpm) <= 0.02 * bpm, `${bpm} BPM measured as ${tempo.bpm}`);
      assert.ok(tempo.confidence > 0 && tempo.confidence <= 1);
    }
    console.table(rows);
  });

  test('the range is configurable: 174 BPM is reported as 87 when the range stops at 150', () => {
    const tempo = analyse(beatPattern(174, 30, RATE), { tempo: { minBpm: 60, maxBpm: 150 } }).tempo;
    assert.ok(tempo && Math.abs(tempo.bpm - 87) <= 87 * 0.02, `got ${tempo?.bpm}`);
    assert.throws(() => analyse(new Float32Array(10), { tempo: { minBpm: 100, maxBpm: 90 } }), RangeError);
  });

  test('no beat: silence, white noise and a steady tone give null', () => {
    const seconds = 20;
    const n = seconds * RATE;
    const rnd = random(7);
    const noise = Float32Array.from({ length: n }, () => 0.2 * (rnd() * 2 - 1));
    const tone = Float32Array.from({ length: n }, (_, i) => 0.2 * Math.sin((2 * Math.PI * 440 * i) / RATE));
    assert.equal(analyse(new Float32Array(n)).tempo, null);
    assert.equal(analyse(noise).tempo, null, 'noise');
    assert.equal(analyse(tone).tempo, null, 'tone');
  });

  test('through the decoder: a beat pattern in a WAV file', async () => {
    const file = path.join(tmp(), 'beat-128.wav');
    await writeFloatWav(file, toChannels(beatPattern(128, 20, RATE), 2), RATE, 2);
    const tempo = (await analyzeFile(file)).tempo;
    assert.ok(tempo && Math.abs(tempo.bpm - 128) <= 128 * 0.02, `got ${tempo?.bpm}`);
  });
});
