import type { MusicalKey, PitchClass } from '../types.ts';

export const PITCH_CLASSES: readonly PitchClass[] = [
  'C',
  'C#',
  'D',
  'D#',
  'E',
  'F',
  'F#',
  'G',
  'G#',
  'A',
  'A#',
  'B',
];

/**
 * Names a key in the three notations DJ software uses. Open Key numbers the
 * circle of fifths from C major = 1d (A minor, its relative, = 1m); Camelot
 * is the same wheel turned by seven: C major = 8B, A minor = 8A.
 */
export function describeKey(tonic: number, mode: 'major' | 'minor', confidence: number): MusicalKey {
  const relativeMajor = mode === 'major' ? tonic : (tonic + 3) % 12;
  const fifths = (relativeMajor * 7) % 12;
  const openKey = fifths + 1;
  const camelot = ((fifths + 7) % 12) + 1;
  const name = PITCH_CLASSES[tonic]!;
  return {
    tonic: name,
    mode,
    name: `${name} ${mode}`,
    camelot: `${camelot}${mode === 'major' ? 'B' : 'A'}`,
    openKey: `${openKey}${mode === 'major' ? 'd' : 'm'}`,
    confidence,
  };
}
