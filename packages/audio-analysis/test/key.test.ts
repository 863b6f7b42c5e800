import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeKey, TrackAnalyser } from '../src/index.ts';
import { chordProgression, random } from './synth.ts';

const RATE = 44_100;
const NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

function keyOf(mono: Float32Array) {
  const a = new TrackAnalyser({ sampleRate: RATE, channels: 1 });
  for (let i = 0; i < mono.length; i += 10_000) a.push(mono.subarray(i, i + 10_000));
  return a.finish().key;
}

/** MIREX key-detection score: 1 right, 0.5 a fifth off (same mode), 0.3 relative, 0.2 parallel. */
function mirex(tonic: number, mode: string, got: { tonic: string; mode: string } | null): number {
  if (!got) return 0;
  const t = NAMES.indexOf(got.tonic);
  if (got.mode === mode && t === tonic) return 1;
  if (got.mode === mode && (t === (tonic + 7) % 12 || t === (tonic + 5) % 12)) return 0.5;
  if (mode === 'major' && got.mode === 'minor' && t === (tonic + 9) % 12) return 0.3;
  if (mode === 'minor' && got.mode === 'major' && t === (tonic + 3) % 12) return 0.3;
  if (got.mode !== mode && t === tonic) return 0.2;
  return 0;
}

describe('key', () => {
  test('chord progressions with harmonics in all 24 keys: ≥ 80 % exactly right', () => {
    let right = 0;
    let score = 0;
    const wrong: string[] = [];
    for (const mode of ['major', 'minor'] as const) {
      for (let tonic = 0; tonic < 12; tonic++) {
        const key = keyOf(chordProgression(tonic, mode, RATE));
        const s = mirex(tonic, mode, key);
        score += s;
        if (s === 1) right++;
        else wrong.push(`${NAMES[tonic]} ${mode} → ${key?.name ?? 'null'}`);
        assert.ok(key === null || (key.confidence >= 0 && key.confidence <= 1));
      }
    }
    console.log(
      `key: ${right}/24 exactly right (${((right / 24) * 100).toFixed(0)} %), MIREX weighted score ${((score / 24) * 100).toFixed(1)} %${wrong.length ? `; wrong: ${wrong.join(', ')}` : ''}`,
    );
    assert.ok(right / 24 >= 0.8, `only ${right}/24 right`);
  });

  test('no tonality: silence and white noise give null', () => {
    const rnd = random(3);
    assert.equal(keyOf(new Float32Array(RATE * 5)), null);
    assert.equal(keyOf(Float32Array.from({ length: RATE * 10 }, () => 0.3 * (rnd() * 2 - 1))), null);
  });

  test('names: standard, Camelot and Open Key for all 24 keys', () => {
    // Camelot and Open Key wheels, listed from C major / A minor round the circle of fifths.
    const majors = ['C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#', 'G#', 'D#', 'A#', 'F'];
    const minors = ['A', 'E', 'B', 'F#', 'C#', 'G#', 'D#', 'A#', 'F', 'C', 'G', 'D'];
    for (let i = 0; i < 12; i++) {
      const major = describeKey(NAMES.indexOf(majors[i]!), 'major', 1);
      const minor = describeKey(NAMES.indexOf(minors[i]!), 'minor', 1);
      assert.equal(major.name, `${majors[i]} major`);
      assert.equal(major.openKey, `${i + 1}d`);
      assert.equal(major.camelot, `${((i + 7) % 12) + 1}B`);
      assert.equal(minor.name, `${minors[i]} minor`);
      assert.equal(minor.openKey, `${i + 1}m`);
      assert.equal(minor.camelot, `${((i + 7) % 12) + 1}A`);
    }
    assert.equal(describeKey(9, 'minor', 1).camelot, '8A');
    assert.equal(describeKey(0, 'major', 1).camelot, '8B');
    assert.equal(describeKey(0, 'major', 1).openKey, '1d');
    assert.equal(describeKey(9, 'minor', 1).openKey, '1m');
    assert.equal(describeKey(4, 'major', 1).camelot, '12B');
  });
});
