/**
 * The 48-tap, 4-phase interpolation filter of ITU-R BS.1770-4 Annex 2
 * (phase k gives the sample at n + k/4; 12 taps each).
 */
const PHASES: readonly (readonly number[])[] = [
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
const TAPS = 12;
/** Largest gain of any phase for any input bounded by 1: the skip test's bound. */
const GAIN_BOUND = Math.max(...PHASES.map((p) => p.reduce((a, c) => a + Math.abs(c), 0)));
const BLOCK = 32;

/**
 * Streaming 4x-oversampled true-peak meter. A block of samples is
 * interpolated only when (largest |sample| in reach of it) x GAIN_BOUND could
 * beat the peak found so far: an exact bound, so skipping never changes the
 * result, and on music most blocks are skipped once the loud part is seen.
 */
export class TruePeakMeter {
  readonly #channels: number;
  /** Per channel: the last TAPS - 1 samples of the previous chunk, then the current chunk. */
  #ext: Float32Array[];
  readonly #flat = PHASES.flat();
  #peak = 0;

  constructor(channels: number) {
    this.#channels = channels;
    this.#ext = Array.from({ length: channels }, () => new Float32Array(TAPS - 1));
  }

  get retainedBytes(): number {
    return this.#ext.reduce((a, e) => a + e.byteLength, 0);
  }

  push(samples: Float32Array): void {
    const ch = this.#channels;
    const frames = Math.floor(samples.length / ch);
    const h = this.#flat;
    let peak = this.#peak;
    for (let c = 0; c < ch; c++) {
      let ext = this.#ext[c]!;
      if (ext.length < frames + TAPS - 1) {
        const grown = new Float32Array(frames + TAPS - 1);
        grown.set(ext.subarray(0, TAPS - 1));
        ext = grown;
        this.#ext[c] = ext;
      }
      for (let i = 0, j = c; i < frames; i++, j += ch) ext[i + TAPS - 1] = samples[j]!;
      // ext[n .. n + 11] is the filter's reach for output frame n.
      for (let start = 0; start < frames; start += BLOCK) {
        const end = Math.min(frames, start + BLOCK);
        let m = 0;
        for (let n = start; n < end + TAPS - 1; n++) {
          const a = Math.abs(ext[n]!);
          if (a > m) m = a;
        }
        if (m * GAIN_BOUND <= peak) continue;
        for (let n = start; n < end; n++) {
          for (let p = 0; p < 4; p++) {
            let y = 0;
            const o = p * TAPS;
            // Taps run from newest (ext[n + 11]) to oldest sample.
            for (let t = 0; t < TAPS; t++) y += h[o + t]! * ext[n + TAPS - 1 - t]!;
            const a = y < 0 ? -y : y;
            if (a > peak) peak = a;
          }
          const a = Math.abs(ext[n + TAPS - 1]!);
          if (a > peak) peak = a;
        }
      }
      ext.copyWithin(0, frames, frames + TAPS - 1);
    }
    this.#peak = peak;
  }

  /** Linear true peak (at least the sample peak). */
  finish(): number {
    return this.#peak;
  }
}
