// The octave decision: which metrical level a listener taps, for grooves
// whose beats and subdivisions are known by construction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrackAnalyser } from '../src/index.ts';
import { groove, type GrooveVoices } from './synth.ts';

const RATE = 44_100;
const EIGHTHS = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5];

function tempoOf(bpm: number, voices: GrooveVoices) {
  const mono = groove(bpm, 30, RATE, voices);
  const a = new TrackAnalyser({ sampleRate: RATE, channels: 1 });
  for (let i = 0; i < mono.length; i += 8192) a.push(mono.subarray(i, i + 8192));
  return a.finish().tempo;
}

const near = (got: number | undefined, want: number) =>
  assert.ok(got !== undefined && Math.abs(got - want) <= 0.04 * want, `expected ${want}, got ${got}`);

test('a straight rock groove (kick 1 and 3, snare 2 and 4, eighth hats) is tapped on its beat, slow or fast', () => {
  for (const bpm of [76, 100, 150])
    near(tempoOf(bpm, { kick: [0, 2], snare: [1, 3], hat: EIGHTHS })?.bpm, bpm);
});

test('a half-time groove (snare on 3 of the notated bar) is tapped at half the notated tempo', () => {
  for (const notated of [150, 180]) {
    near(tempoOf(notated, { kick: [0, 1.5], snare: [2], hat: EIGHTHS })?.bpm, notated / 2);
  }
});

test('four on the floor with claps on 2 and 4 and off-beat hats stays at its tempo, not half', () => {
  for (const bpm of [124, 132]) {
    near(tempoOf(bpm, { kick: [0, 1, 2, 3], snare: [1, 3], hat: [0.5, 1.5, 2.5, 3.5] })?.bpm, bpm);
  }
});

test('the confidence is a probability: higher for a clear beat than for a lone kick once a bar', () => {
  const clear = tempoOf(120, { kick: [0, 1, 2, 3], snare: [1, 3], hat: EIGHTHS });
  const vague = tempoOf(120, { kick: [0] });
  assert.ok(clear && clear.confidence > 0 && clear.confidence <= 1);
  assert.ok(!vague || vague.confidence < clear.confidence, `${vague?.confidence} vs ${clear.confidence}`);
});
