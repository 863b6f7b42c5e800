// Tuning estimation: music not tuned to A = 440 Hz keeps its key. The same
// progressions are analysed as if played slower or faster, which shifts
// every pitch by a known number of cents.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyAnalyser } from '../src/analysers/key.ts';
import { chordProgression } from './synth.ts';

const RATE = 11_025;

function analyseDetuned(tonic: number, mode: 'major' | 'minor', cents: number) {
  const mono = chordProgression(tonic, mode, RATE);
  // Told the rate is higher than it is, the analyser hears every frequency that much higher.
  const a = new KeyAnalyser(RATE * 2 ** (cents / 1200));
  for (let i = 0; i < mono.length; i += 4096) a.push(mono.subarray(i, i + 4096));
  return a.choice();
}

for (const cents of [45, -40]) {
  test(`a quarter tone off (${cents > 0 ? '+' : ''}${cents} cents): the tuning is measured and ≥ 20 of 24 keys are exactly right`, () => {
    let right = 0;
    for (const mode of ['major', 'minor'] as const) {
      for (let tonic = 0; tonic < 12; tonic++) {
        const choice = analyseDetuned(tonic, mode, cents);
        assert.ok(choice, 'a key');
        assert.ok(
          Math.abs(choice.tuningCents - cents) <= 12,
          `tuning ${choice.tuningCents.toFixed(1)} for ${cents}`,
        );
        if (choice.tonic === tonic && choice.mode === mode) right++;
      }
    }
    assert.ok(right >= 20, `${right}/24 right`);
  });
}
