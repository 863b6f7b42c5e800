/** Biquad coefficients, a0 normalised to 1. */
export interface Biquad {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

/**
 * The two BS.1770 K-weighting stages (high-shelf "pre-filter" and RLB
 * high-pass) for any sample rate. BS.1770 tabulates coefficients for 48 kHz
 * only; these are the analogue prototypes it was derived from, mapped with
 * the bilinear transform as in libebur128, so that 44.1 kHz and 96 kHz
 * files get the same response (the 48 kHz table is reproduced exactly).
 */
export function kWeightingFilters(sampleRate: number): [Biquad, Biquad] {
  let f0 = 1681.974450955533;
  const gainDb = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = 10 ** (gainDb / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf: Biquad = {
    b0: (vh + (vb * k) / q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / sampleRate);
  a0 = 1 + k / q + k * k;
  const highPass: Biquad = {
    b0: 1,
    b1: -2,
    b2: 1,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
  return [shelf, highPass];
}

/**
 * BS.1770-4 channel weights by channel count, in ffmpeg's native channel
 * order: surround channels (Ls, Rs) count +1.5 dB (1.41), LFE not at all.
 */
export function channelWeights(channels: number): number[] {
  switch (channels) {
    case 5: // FL FR FC BL BR
      return [1, 1, 1, 1.41, 1.41];
    case 6: // FL FR FC LFE BL BR
      return [1, 1, 1, 0, 1.41, 1.41];
    case 8: // FL FR FC LFE BL BR SL SR
      return [1, 1, 1, 0, 1.41, 1.41, 1.41, 1.41];
    default:
      return new Array<number>(channels).fill(1);
  }
}
