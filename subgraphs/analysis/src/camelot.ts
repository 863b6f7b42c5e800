/**
 * The Camelot wheel: 1–12 around the circle of fifths, A for minor and B for
 * major keys. Neighbours on the wheel mix harmonically.
 */

/** How a candidate's key relates to the reference key. */
export type HarmonicRelation = 'SAME_KEY' | 'ADJACENT' | 'RELATIVE';

/** Names as the analyser writes them (sharps), by Camelot code. */
// prettier-ignore
const NAMES: Readonly<Record<string, string>> = {
  '1A': 'G# minor', '1B': 'B major',
  '2A': 'D# minor', '2B': 'F# major',
  '3A': 'A# minor', '3B': 'C# major',
  '4A': 'F minor', '4B': 'G# major',
  '5A': 'C minor', '5B': 'D# major',
  '6A': 'G minor', '6B': 'A# major',
  '7A': 'D minor', '7B': 'F major',
  '8A': 'A minor', '8B': 'C major',
  '9A': 'E minor', '9B': 'G major',
  '10A': 'B minor', '10B': 'D major',
  '11A': 'F# minor', '11B': 'A major',
  '12A': 'C# minor', '12B': 'E major',
};

/** Every code in wheel order: 1A, 1B, 2A … 12B. */
export const CAMELOT_CODES: readonly string[] = Object.keys(NAMES);

export const camelotName = (code: string): string | null => NAMES[code] ?? null;

function parse(code: string): { n: number; letter: 'A' | 'B' } | null {
  const m = /^(1[0-2]|[1-9])([AB])$/.exec(code);
  return m ? { n: Number(m[1]), letter: m[2] as 'A' | 'B' } : null;
}

const wrap = (n: number) => ((n + 11) % 12) + 1;

/**
 * The codes that mix with `code`, by relation: the same key, one step
 * either way around the wheel (same letter), and the relative major/minor
 * (same number, other letter). Empty for a code that is not Camelot.
 */
export function harmonicNeighbours(code: string): Record<HarmonicRelation, string[]> {
  const p = parse(code);
  if (!p) return { SAME_KEY: [], ADJACENT: [], RELATIVE: [] };
  const other = p.letter === 'A' ? 'B' : 'A';
  return {
    SAME_KEY: [code],
    ADJACENT: [`${wrap(p.n - 1)}${p.letter}`, `${wrap(p.n + 1)}${p.letter}`],
    RELATIVE: [`${p.n}${other}`],
  };
}

/** How well a relation mixes, 0..1: the weight of a match's score. */
export const RELATION_WEIGHT: Readonly<Record<HarmonicRelation, number>> = {
  SAME_KEY: 1,
  ADJACENT: 0.9,
  RELATIVE: 0.8,
};
