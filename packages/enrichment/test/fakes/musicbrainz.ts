import { similarity } from '../../src/musicbrainz/similarity.ts';
import type { MbRecording } from '../../src/musicbrainz/types.ts';
import { json, startFakeServer, type Faults, type FakeServer } from './fake-server.ts';

/** The terms of a recording search, as MusicBrainz's Lucene syntax writes them. */
export function parseSearchQuery(query: string): Record<string, string> {
  const terms: Record<string, string> = {};
  for (const m of query.matchAll(/(\w+):(?:"((?:[^"\\]|\\.)*)"|\[([^\]]*)\])/g)) {
    terms[m[1]!] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return terms;
}

const creditName = (r: MbRecording) =>
  (r['artist-credit'] ?? []).map((c) => c.name + (c.joinphrase ?? '')).join('');

/**
 * A fake MusicBrainz ws/2: recording lookup by MBID, ISRC lookup, and a
 * recording search that scores seeds by title and artist similarity.
 */
export function startFakeMusicBrainz(
  recordings: readonly MbRecording[],
  faults?: Faults,
): Promise<FakeServer> {
  return startFakeServer((req, res) => {
    const url = new URL(req.url, 'http://fake');
    const lookup = /^\/ws\/2\/recording\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (lookup) {
      const found = recordings.find((r) => r.id === lookup[1]);
      return found ? json(res, 200, found) : json(res, 404, { error: 'Not Found' });
    }
    const isrc = /^\/ws\/2\/isrc\/([A-Z0-9]+)$/i.exec(url.pathname);
    if (isrc) {
      const code = isrc[1]!.toUpperCase();
      const found = recordings.filter((r) => (r.isrcs ?? []).includes(code));
      return found.length > 0
        ? json(res, 200, { isrc: code, recordings: found })
        : json(res, 404, { error: 'Not Found' });
    }
    if (url.pathname === '/ws/2/recording') {
      const terms = parseSearchQuery(url.searchParams.get('query') ?? '');
      const [lo, hi] = (terms.dur ?? '').split(' TO ').map(Number);
      const found = recordings
        .map((r) => {
          const t = terms.recording ? similarity(terms.recording, r.title) : 1;
          const a = terms.artist ? similarity(terms.artist, creditName(r)) : 1;
          const inDur =
            lo === undefined ||
            hi === undefined ||
            Number.isNaN(lo) ||
            !r.length ||
            (r.length >= lo && r.length <= hi);
          return { r, score: Math.round(100 * t * a), ok: t > 0.6 && a > 0.5 && inDur };
        })
        .filter((x) => x.ok)
        .sort((x, y) => y.score - x.score)
        .slice(0, Number(url.searchParams.get('limit') ?? 25));
      return json(res, 200, {
        created: new Date().toISOString(),
        count: found.length,
        offset: 0,
        recordings: found.map((x) => ({ ...x.r, score: x.score })),
      });
    }
    json(res, 400, { error: `unknown path ${url.pathname}` });
  }, faults);
}
