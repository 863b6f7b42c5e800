/**
 * Lower case, no diacritics, `&` as `and`, punctuation as spaces, a leading
 * "the" dropped: "The Beatles" and "beatles" compare equal.
 */
export function normalize(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/^the /, '');
}

/** The value without bracketed parts: "Song (2011 Remaster)" → "Song". */
export function stripQualifiers(value: string): string {
  return (
    value
      .replace(/\s*[([{][^)\]}]*[)\]}]/g, '')
      .replace(/\s+-\s+.*$/, '')
      .trim() || value
  );
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function ratio(a: string, b: string): number {
  if (a.length === 0 && b.length === 0) return 1;
  return 1 - levenshtein(a, b) / Math.max(a.length, b.length);
}

/** Sorted unique words, so word order does not count ("Davis, Miles" vs "Miles Davis"). */
const tokenSet = (v: string) => [...new Set(v.split(' '))].sort().join(' ');

/**
 * Similarity of two names in [0, 1]: the best of the edit-distance ratio of
 * the normalized strings, of their word sets, and of the same with bracketed
 * qualifiers removed (a qualifier costs 0.05 so an exact title still wins).
 */
export function similarity(a: string, b: string): number {
  const na = normalize(a);
  const nb = normalize(b);
  const direct = Math.max(ratio(na, nb), ratio(tokenSet(na), tokenSet(nb)));
  const sa = normalize(stripQualifiers(a));
  const sb = normalize(stripQualifiers(b));
  const stripped = sa === na && sb === nb ? 0 : ratio(sa, sb) - 0.05;
  return Math.max(0, Math.min(1, Math.max(direct, stripped)));
}
