// SIMILAR_TO: each track keeps its top-K most similar tracks of the same
// library. The score of a pair is symmetric (see README.md for the formula);
// recomputing a track rewrites its outgoing edges and updates the edges that
// point at it, so neighbours see the change without being recomputed.
import neo4j, { type ManagedTransaction } from 'neo4j-driver';

/** Tunables of the similarity computation. */
export interface SimilarityOptions {
  /** Edges kept per track; default 20. */
  readonly topK?: number;
  /** Relative tempo difference at which the tempo term reaches 0 (and the candidate window); default 0.06. */
  readonly bpmWindow?: number;
  /** Candidates taken from each source (tempo window, shared artists, shared genres); default 100. */
  readonly candidatesPerSource?: number;
  /** Pairs scoring less are not linked; default 0.2. */
  readonly minScore?: number;
}

export const defaultSimilarity: Required<SimilarityOptions> = {
  topK: 20,
  bpmWindow: 0.06,
  candidatesPerSource: 100,
  minScore: 0.2,
};

// Score of the pair (t, c), both bound. Weights sum to 1.
const scoreExpression = `
  WITH t, c, tGenres, tArtists,
       [(c)-[:HAS_GENRE]->(g:Genre) | g.key] AS cGenres,
       [(c)-[:PERFORMED_BY]->(a:Artist) | a.id] AS cArtists
  WITH t, c, tGenres, tArtists, cGenres, cArtists,
       CASE WHEN t.bpm IS NULL OR c.bpm IS NULL OR t.bpm <= 0 OR c.bpm <= 0 THEN 0.0 ELSE
         reduce(best = 0.0, y IN [c.bpm, c.bpm * 2, c.bpm / 2] |
           CASE WHEN 1.0 - abs(t.bpm - y) / (CASE WHEN t.bpm > y THEN t.bpm ELSE y END) / $bpmWindow > best
                THEN 1.0 - abs(t.bpm - y) / (CASE WHEN t.bpm > y THEN t.bpm ELSE y END) / $bpmWindow
                ELSE best END)
       END AS tempo,
       CASE WHEN t.camelot IS NULL OR c.camelot IS NULL THEN 0.0 ELSE
         CASE
           WHEN t.camelot = c.camelot THEN 1.0
           WHEN right(t.camelot, 1) = right(c.camelot, 1)
                AND abs(toInteger(left(t.camelot, size(t.camelot) - 1)) - toInteger(left(c.camelot, size(c.camelot) - 1))) IN [1, 11] THEN 0.8
           WHEN left(t.camelot, size(t.camelot) - 1) = left(c.camelot, size(c.camelot) - 1) THEN 0.8
           WHEN abs(toInteger(left(t.camelot, size(t.camelot) - 1)) - toInteger(left(c.camelot, size(c.camelot) - 1))) IN [1, 11] THEN 0.4
           ELSE 0.0
         END
       END AS harmonic,
       CASE WHEN t.lufs IS NULL OR c.lufs IS NULL THEN 0.0
            WHEN abs(t.lufs - c.lufs) >= 6.0 THEN 0.0
            ELSE 1.0 - abs(t.lufs - c.lufs) / 6.0 END AS loudness
  WITH t, c, tempo, harmonic, loudness,
       size([x IN tGenres WHERE x IN cGenres]) AS sharedGenres,
       size(tGenres) + size(cGenres) AS genreTotal,
       size([x IN tArtists WHERE x IN cArtists]) AS sharedArtists,
       size(tArtists) + size(cArtists) AS artistTotal
  WITH t, c, round(
         0.35 * tempo + 0.25 * harmonic + 0.15 * loudness
         + 0.15 * CASE WHEN genreTotal = sharedGenres THEN 0.0 ELSE toFloat(sharedGenres) / (genreTotal - sharedGenres) END
         + 0.10 * CASE WHEN artistTotal = sharedArtists THEN 0.0 ELSE toFloat(sharedArtists) / (artistTotal - sharedArtists) END,
         4) AS score`;

// Candidates of t in its library: nearest tempos around bpm, 2×bpm and bpm/2
// (index range seeks), tracks sharing an artist, tracks sharing a genre when
// t has no tempo yet, and tracks that already link to t (their score must
// follow t's change). Each source is capped.
const candidates = `
  CALL (t) {
    WITH t WHERE t.bpm IS NOT NULL
    UNWIND [t.bpm, t.bpm * 2, t.bpm / 2] AS center
    CALL (t, center) {
      MATCH (c:Track)
      WHERE c.libraryId = t.libraryId AND c.bpm >= center * (1 - $bpmWindow) AND c.bpm <= center * (1 + $bpmWindow) AND c <> t
      RETURN c ORDER BY abs(c.bpm - center) LIMIT $perSource
    }
    RETURN c
    UNION
    MATCH (t)-[:PERFORMED_BY]->(:Artist)<-[:PERFORMED_BY]-(c:Track)
    WHERE c <> t AND c.libraryId = t.libraryId
    WITH DISTINCT c LIMIT $perSource
    RETURN c
    UNION
    WITH t WHERE t.bpm IS NULL
    MATCH (t)-[:HAS_GENRE]->(:Genre)<-[:HAS_GENRE]-(c:Track)
    WHERE c <> t AND c.libraryId = t.libraryId
    WITH DISTINCT c LIMIT $perSource
    RETURN c
    UNION
    MATCH (c:Track)-[:SIMILAR_TO]->(t)
    RETURN c
  }`;

const recompute = `
  UNWIND $ids AS id
  MATCH (t:Track {id: id})
  CALL (t) { MATCH (t)-[s:SIMILAR_TO]->() DELETE s }
  WITH t, [(t)-[:HAS_GENRE]->(g:Genre) | g.key] AS tGenres, [(t)-[:PERFORMED_BY]->(a:Artist) | a.id] AS tArtists
  ${candidates}
  WITH DISTINCT t, c, tGenres, tArtists
  ${scoreExpression}
  WITH t, collect({c: c, score: score}) AS scored
  // Outgoing: t's own top K.
  CALL (t, scored) {
    UNWIND [e IN scored WHERE e.score >= $minScore] AS e
    WITH t, e ORDER BY e.score DESC, e.c.id
    LIMIT $topK
    WITH t, e.c AS c, e.score AS score
    // MERGE, not CREATE: a concurrent recompute of c may have added t -> c meanwhile.
    MERGE (t)-[r:SIMILAR_TO]->(c)
    SET r.score = score
  }
  UNWIND scored AS e
  WITH t, e.c AS c, e.score AS score
  // Incoming: update c -> t, or add it when t beats c's weakest edge.
  CALL (t, c, score) {
    OPTIONAL MATCH (c)-[old:SIMILAR_TO]->(t)
    WITH t, c, score, old, [(c)-[r:SIMILAR_TO]->() | r.score] AS cScores
    FOREACH (_ IN CASE WHEN old IS NOT NULL AND score < $minScore THEN [1] ELSE [] END | DELETE old)
    FOREACH (_ IN CASE WHEN old IS NOT NULL AND score >= $minScore THEN [1] ELSE [] END | SET old.score = score)
    FOREACH (_ IN CASE WHEN old IS NULL AND score >= $minScore
                        AND (size(cScores) < $topK OR score > reduce(m = 2.0, s IN cScores | CASE WHEN s < m THEN s ELSE m END))
                       THEN [1] ELSE [] END |
      MERGE (c)-[r:SIMILAR_TO]->(t) SET r.score = score)
  }
  RETURN collect(DISTINCT c.id) AS touched`;

// Keeps at most K outgoing edges on each touched track, and one per pair:
// recomputes of neighbours in concurrent transactions can each add c -> x.
const trim = `
  UNWIND $ids AS id
  MATCH (c:Track {id: id})-[r:SIMILAR_TO]->(x:Track)
  WITH c, x, r ORDER BY r.score DESC
  WITH c, x, collect(r) AS pair
  FOREACH (r IN pair[1..] | DELETE r)
  WITH c, x, pair[0] AS r ORDER BY r.score DESC, x.id
  WITH c, collect(r) AS edges
  FOREACH (r IN edges[$topK..] | DELETE r)`;

const clearStale = `
  UNWIND $ids AS id
  MATCH (t:Track {id: id})
  REMOVE t.simStale`;

/**
 * Recomputes SIMILAR_TO for the tracks `ids` in transaction `tx` (one
 * statement for the scores, one to trim neighbours back to K) and clears
 * their `simStale` mark.
 */
export async function recomputeSimilarity(
  tx: ManagedTransaction,
  ids: readonly string[],
  options: SimilarityOptions = {},
): Promise<void> {
  const o = { ...defaultSimilarity, ...options };
  const params = {
    ids,
    topK: neo4j.int(o.topK),
    perSource: neo4j.int(o.candidatesPerSource),
    bpmWindow: o.bpmWindow,
    minScore: o.minScore,
  };
  const result = await tx.run(recompute, params);
  const touched = result.records.flatMap((r) => r.get('touched') as string[]);
  if (touched.length > 0) await tx.run(trim, { ids: touched, topK: params.topK });
  await tx.run(clearStale, { ids });
}
