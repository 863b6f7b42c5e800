// The Cypher statements of src/sync.ts, one per step of a write.

/**
 * Merges the tracks and deletes their outgoing catalog edges. Returns the ids
 * of the artists they were credited to (to recount collaborations) and the
 * element ids of every node they pointed at (orphan candidates).
 */
export const detachTracks = `
  UNWIND $rows AS row
  MERGE (t:Track {id: row.id})
  WITH t
  OPTIONAL MATCH (t)-[r:PERFORMED_BY|ON_ALBUM|HAS_GENRE|IN_LIBRARY]->(n)
  WITH collect(r) AS rels, collect(DISTINCT n) AS nodes,
       collect(DISTINCT CASE WHEN type(r) = 'PERFORMED_BY' THEN n.id END) AS artists
  FOREACH (r IN rels | DELETE r)
  RETURN artists, [n IN nodes | elementId(n)] AS neighbours`;

/**
 * Sets the tracks' properties and creates their edges anew: library, credits
 * (one edge per role), genres (by lower-cased name), album and the album's
 * artist (an album has one BY edge, replaced when it changes). Returns the
 * element ids of album artists that were replaced (orphan candidates).
 */
export const attachTracks = `
  UNWIND $rows AS row
  MATCH (t:Track {id: row.id})
  SET t.title = row.title, t.libraryId = row.libraryId
  MERGE (l:Library {id: row.libraryId})
  MERGE (t)-[:IN_LIBRARY]->(l)
  WITH t, row
  CALL (t, row) {
    UNWIND row.artists AS credit
    MERGE (a:Artist {id: credit.id})
    SET a.name = credit.name
    MERGE (t)-[:PERFORMED_BY {role: credit.role}]->(a)
  }
  CALL (t, row) {
    UNWIND row.genres AS genre
    MERGE (g:Genre {key: genre.key})
    ON CREATE SET g.name = genre.name
    MERGE (t)-[:HAS_GENRE]->(g)
  }
  CALL (t, row) {
    WITH t, row WHERE row.album IS NOT NULL
    MERGE (al:Album {id: row.album.id})
    SET al.title = row.album.title
    MERGE (t)-[:ON_ALBUM]->(al)
    WITH al, row
    OPTIONAL MATCH (al)-[by:BY]->(old:Artist)
    WHERE old.id <> coalesce(row.album.artistId, '')
    DELETE by
    WITH al, row, collect(elementId(old)) AS replaced
    CALL (al, row) {
      WITH al, row WHERE row.album.artistId IS NOT NULL
      MERGE (aa:Artist {id: row.album.artistId})
      ON CREATE SET aa.name = row.album.artistName
      MERGE (al)-[:BY]->(aa)
    }
    RETURN replaced
  }
  RETURN reduce(acc = [], ids IN collect(replaced) | acc + ids) AS replaced`;

/** Deletes every COLLABORATED_WITH edge of the given artists. */
export const dropCollaborations = `
  UNWIND $artistIds AS id
  MATCH (:Artist {id: id})-[c:COLLABORATED_WITH]-()
  WITH DISTINCT c
  DELETE c`;

/** One COLLABORATED_WITH edge per pair sharing tracks, from the lower id to the higher, with the count. */
export const countCollaborations = `
  UNWIND $artistIds AS id
  MATCH (a:Artist {id: id})<-[:PERFORMED_BY]-(t:Track)-[:PERFORMED_BY]->(b:Artist)
  WHERE a <> b
  WITH CASE WHEN a.id < b.id THEN a ELSE b END AS x, CASE WHEN a.id < b.id THEN b ELSE a END AS y, t
  WITH x, y, count(DISTINCT t) AS n
  MERGE (x)-[c:COLLABORATED_WITH]->(y)
  SET c.count = n`;

/**
 * Among the candidates (element ids): albums without tracks go (and their
 * artist becomes a candidate), then artists credited nowhere, genres and
 * libraries without tracks.
 */
export const removeOrphans = `
  OPTIONAL MATCH (al:Album) WHERE elementId(al) IN $elementIds AND NOT (al)<-[:ON_ALBUM]-()
  OPTIONAL MATCH (al)-[:BY]->(aa:Artist)
  WITH collect(DISTINCT al) AS albums, collect(DISTINCT elementId(aa)) AS albumArtists
  FOREACH (al IN albums | DETACH DELETE al)
  WITH albumArtists
  UNWIND $elementIds + albumArtists AS eid
  MATCH (n) WHERE elementId(n) = eid
    AND ((n:Artist AND NOT (n)<-[:PERFORMED_BY]-() AND NOT (n)<-[:BY]-())
      OR (n:Genre AND NOT (n)<-[:HAS_GENRE]-())
      OR (n:Library AND NOT (n)<-[:IN_LIBRARY]-()))
  WITH DISTINCT n
  DETACH DELETE n`;

/**
 * Stores features when the row has them and marks a track stale when its
 * similarity inputs differ from those of its last computation (or an earlier
 * computation never finished). Returns the stale ids.
 */
export const markSimilarityInputs = `
  UNWIND $rows AS row
  MATCH (t:Track {id: row.id})
  FOREACH (_ IN CASE WHEN row.hasFeatures THEN [1] ELSE [] END |
    SET t.bpm = row.features.bpm, t.camelot = row.features.camelot, t.lufs = row.features.lufs)
  WITH t, row.shape + '|' + coalesce(toString(t.bpm), '') + '|' + coalesce(t.camelot, '') + '|'
       + coalesce(toString(t.lufs), '') AS key
  WITH t, key, t.simKey IS NULL OR t.simKey <> key OR coalesce(t.simStale, false) AS stale
  SET t.simKey = key
  FOREACH (_ IN CASE WHEN stale THEN [1] ELSE [] END | SET t.simStale = true)
  WITH t, stale WHERE stale
  RETURN t.id AS id`;

/**
 * Deletes tracks with their edges. Tracks that pointed at them (SIMILAR_TO)
 * are marked stale in the same transaction so their lists get refilled.
 */
export const deleteTracks = `
  UNWIND $ids AS id
  MATCH (t:Track {id: id})
  OPTIONAL MATCH (t)-[r:PERFORMED_BY|ON_ALBUM|HAS_GENRE|IN_LIBRARY]->(n)
  WITH t, collect(DISTINCT n) AS nodes,
       collect(DISTINCT CASE WHEN type(r) = 'PERFORMED_BY' THEN n.id END) AS artistIds
  OPTIONAL MATCH (p:Track)-[:SIMILAR_TO]->(t) WHERE NOT p.id IN $ids
  WITH t, nodes, artistIds, collect(DISTINCT p) AS pointers
  FOREACH (p IN pointers | SET p.simStale = true)
  DETACH DELETE t
  WITH nodes, artistIds, [p IN pointers | p.id] AS pointerIds
  RETURN count(*) AS removed,
         reduce(acc = [], l IN collect([n IN nodes | elementId(n)]) | acc + l) AS neighbours,
         reduce(acc = [], l IN collect(artistIds) | acc + l) AS artists,
         reduce(acc = [], l IN collect(pointerIds) | acc + l) AS pointers`;

/** Replaces analysis features and marks the tracks stale. */
export const setFeatures = `
  UNWIND $rows AS row
  MATCH (t:Track {id: row.id})
  SET t.bpm = row.bpm, t.camelot = row.camelot, t.lufs = row.lufs, t.simStale = true`;

/** Tracks whose similarity still has to be computed. */
export const staleTracks = `
  MATCH (t:Track) WHERE t.simStale = true
  RETURN t.id AS id LIMIT $limit`;
