/**
 * The 48-tap, 4-phase interpolation filter of ITU-R BS.1770-4 Annex 2
 * (phase k gives the sample at n + k/4; 12 taps each).
 */
type Phase = readonly [
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
  number,
  number,
];
const PHASES: readonly Phase[] = [
  [
    0.001708984375, 0.010986328125, -0.0196533203125, 0.033203125, -0.0594482421875, 0.1373291015625,
    0.97216796875, -0.102294921875, 0.047607421875, -0.026611328125, 0.014892578125, -0.00830078125,
  ],
  [
    -0.0291748046875, 0.029296875, -0.0517578125, 0.089111328125, -0.16650390625, 0.465087890625,
    0.77978515625, -0.2003173828125, 0.1015625, -0.0582275390625, 0.0330810546875, -0.0189208984375,
  ],
  [
    -0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625, -0.2003173828125, 0.77978515625,
    0.465087890625, -0.16650390625, 0.089111328125, -0.0517578125, 0.029296875, -0.0291748046875,
  ],
  [
    -0.00830078125, 0.014892578125, -0.026611328125, 0.047607421875, -0.102294921875, 0.97216796875,
    0.1373291015625, -0.0594482421875, 0.033203125, -0.0196533203125, 0.010986328125, 0.001708984375,
  ],
];
const [PHASE_0, PHASE_1, PHASE_2, PHASE_3] = PHASES as [Phase, Phase, Phase, Phase];
const TAPS = 12;
/** Largest gain of any phase for any input bounded by 1: the skip test's bound. */
const GAIN_BOUND = Math.max(...PHASES.map((p) => p.reduce((a, c) => a + Math.abs(c), 0)));
const BLOCK = 32;

/**
 * Streaming 4x-oversampled true-peak meter. A block of samples is
 * interpolated only when (largest |sample| in reach of it) x GAIN_BOUND could
 * beat the peak found so far: an exact bound, so skipping never changes the
 * result. The peak starts each chunk at the chunk's own sample peak (the
 * result is never below a sample), so only blocks within ~6 dB of the
 * loudest sample are interpolated.
 */
export class TruePeakMeter {
  readonly #channels: number;
  /** Per channel: the last TAPS - 1 samples of the previous chunk, then the current chunk. */
  #ext: Float32Array[];
  /** Per channel: the largest |sample| of each BLOCK of `#ext`. */
  #blockMax: Float32Array[];
  #peak = 0;

  constructor(channels: number) {
    this.#channels = channels;
    this.#ext = Array.from({ length: channels }, () => new Float32Array(TAPS - 1));
    this.#blockMax = Array.from({ length: channels }, () => new Float32Array(1));
  }

  get retainedBytes(): number {
    return [...this.#ext, ...this.#blockMax].reduce((a, e) => a + e.byteLength, 0);
  }

  push(samples: Float32Array): void {
    const ch = this.#channels;
    const frames = Math.floor(samples.length / ch);
    const length = frames + TAPS - 1;
    const blocks = Math.ceil(length / BLOCK);
    let peak = this.#peak;
    // Pass 1, every channel: de-interleave, block maxima, and the chunk's sample peak.
    for (let c = 0; c < ch; c++) {
      let ext = this.#ext[c]!;
      if (ext.length < length) {
        const grown = new Float32Array(length);
        grown.set(ext.subarray(0, TAPS - 1));
        ext = grown;
        this.#ext[c] = ext;
      }
      if (this.#blockMax[c]!.length < blocks + 1) this.#blockMax[c] = new Float32Array(blocks + 1);
      const bm = this.#blockMax[c]!;
      for (let i = 0, j = c; i < frames; i++, j += ch) ext[i + TAPS - 1] = samples[j]!;
      for (let b = 0; b < blocks; b++) {
        let m = 0;
        for (let k = b * BLOCK, end = Math.min(length, k + BLOCK); k < end; k++) {
          const a = Math.abs(ext[k]!);
          if (a > m) m = a;
        }
        bm[b] = m;
        if (m > peak) peak = m;
      }
      bm[blocks] = 0;
    }
    // Pass 2: interpolate the blocks that could beat it. Output frame n reaches ext[n .. n + 11],
    // so output block b lies within ext blocks b and b + 1. The 4 x 12 taps are unrolled into
    // locals (same products, same order of sums as a loop over PHASES: identical results).
    const [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11] = PHASE_0;
    const [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11] = PHASE_1;
    const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11] = PHASE_2;
    const [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11] = PHASE_3;
    for (let c = 0; c < ch; c++) {
      const ext = this.#ext[c]!;
      const bm = this.#blockMax[c]!;
      for (let b = 0, start = 0; start < frames; b++, start += BLOCK) {
        const m = bm[b]! > bm[b + 1]! ? bm[b]! : bm[b + 1]!;
        if (m * GAIN_BOUND <= peak) continue;
        const end = Math.min(frames, start + BLOCK);
        // x11 is the newest sample in reach of output frame n, x0 the oldest.
        let x0: number;
        let x1 = ext[start]!;
        let x2 = ext[start + 1]!;
        let x3 = ext[start + 2]!;
        let x4 = ext[start + 3]!;
        let x5 = ext[start + 4]!;
        let x6 = ext[start + 5]!;
        let x7 = ext[start + 6]!;
        let x8 = ext[start + 7]!;
        let x9 = ext[start + 8]!;
        let x10 = ext[start + 9]!;
        let x11 = ext[start + 10]!;
        for (let n = start; n < end; n++) {
          x0 = x1;
          x1 = x2;
          x2 = x3;
          x3 = x4;
          x4 = x5;
          x5 = x6;
          x6 = x7;
          x7 = x8;
          x8 = x9;
          x9 = x10;
          x10 = x11;
          x11 = ext[n + TAPS - 1]!;
          const y0 =
            a0 * x11 +
            a1 * x10 +
            a2 * x9 +
            a3 * x8 +
            a4 * x7 +
            a5 * x6 +
            a6 * x5 +
            a7 * x4 +
            a8 * x3 +
            a9 * x2 +
            a10 * x1 +
            a11 * x0;
          const y1 =
            b0 * x11 +
            b1 * x10 +
            b2 * x9 +
            b3 * x8 +
            b4 * x7 +
            b5 * x6 +
            b6 * x5 +
            b7 * x4 +
            b8 * x3 +
            b9 * x2 +
            b10 * x1 +
            b11 * x0;
          const y2 =
            c0 * x11 +
            c1 * x10 +
            c2 * x9 +
            c3 * x8 +
            c4 * x7 +
            c5 * x6 +
            c6 * x5 +
            c7 * x4 +
            c8 * x3 +
            c9 * x2 +
            c10 * x1 +
            c11 * x0;
          const y3 =
            d0 * x11 +
            d1 * x10 +
            d2 * x9 +
            d3 * x8 +
            d4 * x7 +
            d5 * x6 +
            d6 * x5 +
            d7 * x4 +
            d8 * x3 +
            d9 * x2 +
            d10 * x1 +
            d11 * x0;
          const a = Math.max(Math.abs(y0), Math.abs(y1), Math.abs(y2), Math.abs(y3));
          if (a > peak) peak = a;
        }
      }
      ext.copyWithin(0, frames, frames + TAPS - 1);
    }
    this.#peak = peak;
  }

  /** Linear true peak: the largest of every sample and every interpolated value. */
  finish(): number {
    return this.#peak;
  }
}
