// Synthetic test signals, generated in code so their tempo and key are known exactly.

import { random } from '@tonegraph/fixtures/random';

export { random };

/**
 * A drum pattern at `bpm`: a kick (decaying 55 Hz thump) on every beat, a
 * snare (noise burst) on beats 2 and 4, over a white-noise floor at -30 dB.
 */
export function beatPattern(bpm: number, seconds: number, rate: number, seed = 1): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  const rnd = random(seed);
  for (let i = 0; i < out.length; i++) out[i] = 0.03 * (rnd() * 2 - 1);
  const beat = (60 / bpm) * rate;
  for (let b = 0; b * beat < out.length; b++) {
    const start = Math.round(b * beat);
    for (let i = 0; i < 0.25 * rate && start + i < out.length; i++) {
      const t = i / rate;
      out[start + i]! +=
        0.6 * Math.exp(-t / 0.06) * Math.sin(2 * Math.PI * (55 + 60 * Math.exp(-t / 0.02)) * t);
      if (b % 2 === 1) out[start + i]! += 0.35 * Math.exp(-t / 0.04) * (rnd() * 2 - 1);
    }
  }
  return out;
}

const MAJOR_SCALE = [0, 2, 4, 5, 7, 9, 11];
const HARMONIC_MINOR = [0, 2, 3, 5, 7, 8, 11];

/**
 * A chord progression in a key: I–IV–V–I then I–vi–ii–V–I (major) or
 * i–iv–V–i then i–VI–iv–V–i (harmonic minor), root-position triads around
 * middle C with six harmonics each (amplitude 1/h), half-second chords
 * with a short attack and release, plus a bass note an octave down.
 */
export function chordProgression(tonic: number, mode: 'major' | 'minor', rate: number): Float32Array {
  const scale = mode === 'major' ? MAJOR_SCALE : HARMONIC_MINOR;
  const degrees = [0, 3, 4, 0, 0, 5, 1, 4, 0];
  const chordSeconds = 0.8;
  const out = new Float32Array(Math.round(degrees.length * chordSeconds * rate));
  const n = Math.round(chordSeconds * rate);
  for (const [k, degree] of degrees.entries()) {
    const notes = [0, 2, 4].map((step) => {
      const idx = degree + step;
      return scale[idx % 7]! + 12 * Math.floor(idx / 7);
    });
    // Around middle C (MIDI 60), tonic transposed into C..B.
    const midis = [...notes.map((s) => 60 + tonic + s), 48 + tonic + notes[0]!];
    for (const midi of midis) {
      const f0 = 440 * 2 ** ((midi - 69) / 12);
      for (let h = 1; h <= 6; h++) {
        const w = 2 * Math.PI * f0 * h;
        if (f0 * h > 0.45 * rate) break;
        const amp = 0.05 / h;
        for (let i = 0; i < n; i++) {
          const env = Math.min(1, i / (0.02 * rate), (n - i) / (0.05 * rate));
          out[k * n + i]! += amp * env * Math.sin((w * i) / rate);
        }
      }
    }
  }
  return out;
}

/** Interleaves one mono signal into `channels` identical channels. */
export function toChannels(mono: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(mono.length * channels);
  for (let i = 0; i < mono.length; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = mono[i]!;
  return out;
}

/** Drum voices of `groove`, by name: where in the bar (in beats of 4) each one hits. */
export interface GrooveVoices {
  readonly kick?: readonly number[];
  readonly snare?: readonly number[];
  /** A short, quiet high noise tick. */
  readonly hat?: readonly number[];
}

/**
 * A one-bar drum loop at `bpm` (the tempo it is written at), repeated for
 * `seconds` over a -40 dB noise floor: a decaying kick thump, a snare noise
 * burst and quiet high hi-hat ticks at the given positions.
 */
export function groove(bpm: number, seconds: number, rate: number, voices: GrooveVoices): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  const rnd = random(bpm);
  for (let i = 0; i < out.length; i++) out[i] = 0.01 * (rnd() * 2 - 1);
  const beat = (60 / bpm) * rate;
  const hit = (start: number, voice: (t: number) => number) => {
    for (let i = 0; i < 0.25 * rate && start + i < out.length; i++) out[start + i]! += voice(i / rate);
  };
  for (let bar = 0; bar * 4 * beat < out.length; bar++) {
    const at = (b: number) => Math.round((bar * 4 + b) * beat);
    for (const b of voices.kick ?? [])
      hit(
        at(b),
        (t) => 0.6 * Math.exp(-t / 0.06) * Math.sin(2 * Math.PI * (55 + 60 * Math.exp(-t / 0.02)) * t),
      );
    for (const b of voices.snare ?? []) hit(at(b), (t) => 0.35 * Math.exp(-t / 0.04) * (rnd() * 2 - 1));
    // Differenced noise: mostly high frequencies, like a closed hi-hat.
    let last = 0;
    for (const b of voices.hat ?? [])
      hit(at(b), (t) => {
        const n = rnd() * 2 - 1;
        const v = 0.12 * Math.exp(-t / 0.01) * (n - last);
        last = n;
        return v;
      });
  }
  return out;
}
