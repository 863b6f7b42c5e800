/**
 * Key profiles: how much each pitch class, tonic first, weighs in a major
 * and a minor key. The estimator correlates the track's chroma with each
 * profile rotated to all 12 tonics. Values as published.
 */
export interface KeyProfile {
  readonly major: readonly number[];
  readonly minor: readonly number[];
}

export const KEY_PROFILES = {
  /** Krumhansl & Kessler (1982): probe-tone ratings by listeners. */
  krumhansl: {
    major: [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
    minor: [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
  },
  /** Temperley (1999), "What's key for key?": revised from music theory. */
  temperley: {
    major: [5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0],
    minor: [5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0],
  },
  /** Temperley (2007), Music and Probability: pitch-class frequencies of the Kostka–Payne corpus. */
  kostkaPayne: {
    major: [0.748, 0.06, 0.488, 0.082, 0.67, 0.46, 0.096, 0.715, 0.104, 0.366, 0.057, 0.4],
    minor: [0.712, 0.084, 0.474, 0.618, 0.049, 0.46, 0.105, 0.747, 0.404, 0.067, 0.133, 0.33],
  },
  /** Faraldo, Gómez, Jordà & Herrera (2016): EDMA, fitted to electronic dance music. */
  edma: {
    major: [1.0, 0.29, 0.5, 0.4, 0.6, 0.56, 0.32, 0.8, 0.31, 0.45, 0.42, 0.39],
    minor: [1.0, 0.31, 0.44, 0.58, 0.33, 0.49, 0.29, 0.78, 0.43, 0.29, 0.39, 0.41],
  },
  /** Aarden (2003): pitch-class frequencies of the Essen folksong collection. */
  aarden: {
    major: [17.77, 0.15, 14.93, 0.16, 19.8, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95],
    minor: [18.26, 0.74, 14.05, 16.86, 0.7, 14.44, 0.7, 18.62, 4.57, 1.93, 7.38, 1.76],
  },
} as const satisfies Record<string, KeyProfile>;

export type KeyProfileName = keyof typeof KEY_PROFILES;
