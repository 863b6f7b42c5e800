const FEATURING = /\s+(?:feat\.?|ft\.?|featuring)\s+/i;
const JOINERS = /\s*(?:;|\/|,|\s&\s|\sx\s)\s*/;
/**
 * Splits artist tags into ordered credits: `A feat. B & C` gives A (main),
 * B and C (featured). Multi-valued tags (`artists`) add main artists. Names
 * are trimmed and de-duplicated case-insensitively, the first spelling wins.
 */
export function parseArtistCredits(artist, artists = []) {
  const credits = [];
  const seen = new Set();
  const add = (name, role) => {
    const trimmed = name.trim();
    const key = trimmed.toLocaleLowerCase();
    if (trimmed && !seen.has(key)) {
      seen.add(key);
      credits.push({ name: trimmed, role });
    }
  };
  for (const value of [artist, ...artists]) {
    if (!value) continue;
    const [main = '', ...featured] = value.split(FEATURING);
    // Only the featured part is split on joiners: "Simon & Garfunkel" is one act.
    add(main, 'MAIN');
    for (const part of featured) for (const name of part.split(JOINERS)) add(name, 'FEATURED');
  }
  return credits;
}
