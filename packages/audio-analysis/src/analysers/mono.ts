/** The rate tempo and key analysis run at: enough for onsets and for pitch up to ~4 kHz, cheap to FFT. */
export const ANALYSIS_RATE = 11025;

/**
 * Downmix to mono and decimate to about 11 kHz by an integer factor, behind
 * a 4th-order Butterworth low-pass (two RBJ biquads) so partials above the
 * new Nyquist do not alias into the chroma. Output goes to the sinks in
 * chunks no longer than the input chunk.
 */
export class MonoDecimator {
  readonly rate: number;
  readonly #factor: number;
  readonly #channels: number;
  readonly #coef: number[];
  readonly #state = new Float64Array(8);
  #phase = 0;
  #out = new Float32Array(0);
  readonly #sinks: ((mono: Float32Array) => void)[];

  constructor(sampleRate: number, channels: number, sinks: ((mono: Float32Array) => void)[]) {
    this.#factor = Math.max(1, Math.round(sampleRate / ANALYSIS_RATE));
    this.rate = sampleRate / this.#factor;
    this.#channels = channels;
    this.#sinks = sinks;
    const w = (2 * Math.PI * Math.min(0.45 * this.rate, 0.45 * sampleRate)) / sampleRate;
    const cos = Math.cos(w);
    const coefs: number[] = [];
    // Q of the two sections of a 4th-order Butterworth.
    for (const q of [0.5411961, 1.306563]) {
      const alpha = Math.sin(w) / (2 * q);
      const a0 = 1 + alpha;
      coefs.push((1 - cos) / 2 / a0, (1 - cos) / a0, (1 - cos) / 2 / a0, (-2 * cos) / a0, (1 - alpha) / a0);
    }
    this.#coef = coefs;
  }

  push(samples: Float32Array): void {
    const ch = this.#channels;
    const frames = Math.floor(samples.length / ch);
    const f = this.#factor;
    if (this.#out.length < Math.ceil(frames / f) + 1) this.#out = new Float32Array(Math.ceil(frames / f) + 1);
    const out = this.#out;
    const [b0, b1, b2, a1, a2, c0, c1, c2, d1, d2] = this.#coef as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const st = this.#state;
    let x1 = st[0]!,
      x2 = st[1]!,
      y1 = st[2]!,
      y2 = st[3]!,
      u1 = st[4]!,
      u2 = st[5]!;
    let phase = this.#phase;
    let n = 0;
    const scale = 1 / ch;
    for (let i = 0, j = 0; i < frames; i++) {
      let x: number;
      // Stereo and mono unrolled (the common cases): the same sums as the loop.
      if (ch === 2) {
        x = (samples[j]! + samples[j + 1]!) * scale;
        j += 2;
      } else if (ch === 1) {
        x = samples[j++]!;
      } else {
        x = 0;
        for (let c = 0; c < ch; c++) x += samples[j++]!;
        x *= scale;
      }
      const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      const u = c0 * y + c1 * y1 + c2 * y2 - d1 * u1 - d2 * u2;
      y2 = y1;
      y1 = y;
      u2 = u1;
      u1 = u;
      if (++phase === f) {
        out[n++] = u;
        phase = 0;
      }
    }
    st[0] = x1;
    st[1] = x2;
    st[2] = y1;
    st[3] = y2;
    st[4] = u1;
    st[5] = u2;
    this.#phase = phase;
    if (n > 0) {
      const chunk = out.subarray(0, n);
      for (const sink of this.#sinks) sink(chunk);
    }
  }
}
