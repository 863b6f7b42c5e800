import type { Collection, Db } from 'mongodb';
import type { AnalysisStatus, TrackDocument } from './documents.ts';
import { bulkWriteRacingUpserts, createGroupCommit } from './group-commit.ts';

/**
 * Counters of the `tracks` collection, kept as tracks change, so that
 * statistics and tempo-range counts read a few small documents instead of
 * counting (or grouping) every track: a count over N documents costs N
 * document reads on any MongoDB-wire server, and FerretDB parses each one.
 *
 * Collection `stats`:
 * - `all` and `library:<id>`: tracks per status, per integer BPM (`bpm.b<N>`)
 *   and per Camelot key (`key.<code>`);
 * - `bpm:<N>` (whole collection only): tracks per hundredth of a BPM within
 *   BPM N (`c.h<0–99>`), so that a tempo range is counted exactly from
 *   counters, reading tracks only in the hundredth a bound falls inside.
 *
 * Every write to `tracks` goes through the store, which turns the
 * document's state before and after into `$inc`s (see {@link statsDelta}).
 * The two writes are not one transaction: a process killed between them
 * leaves a counter off by one until the next rebuild ({@link rebuildStats}).
 */
export interface StatsDocument {
  readonly _id: string;
  readonly status?: Partial<Record<AnalysisStatus, number>>;
  readonly bpm?: Record<string, number>;
  readonly key?: Record<string, number>;
  /** Only in `bpm:<N>` documents. */
  readonly c?: Record<string, number>;
}

export const ALL = 'all';
export const libraryStatsId = (libraryId: string) => `library:${libraryId}`;
export const fineStatsId = (bpm: number) => `bpm:${bpm}`;

/** The hundredth of a BPM a tempo falls in: the analyser rounds tempos to hundredths. */
export function hundredths(bpm: number): number {
  const scaled = bpm * 100;
  const nearest = Math.round(scaled);
  return Math.abs(scaled - nearest) < 1e-6 ? nearest : Math.floor(scaled);
}

/** What one track document adds to the counters. */
type TrackState = Pick<TrackDocument, 'libraryId' | 'status' | 'tempo' | 'key'>;

function add(into: Map<string, Record<string, number>>, id: string, field: string, n: number) {
  const fields = into.get(id) ?? {};
  fields[field] = (fields[field] ?? 0) + n;
  into.set(id, fields);
}

function contribute(into: Map<string, Record<string, number>>, t: TrackState | null, sign: 1 | -1) {
  if (!t) return;
  const h = typeof t.tempo?.bpm === 'number' ? hundredths(t.tempo.bpm) : null;
  const whole = h === null ? null : Math.floor(h / 100);
  const camelot = t.key?.camelot;
  for (const id of [ALL, libraryStatsId(t.libraryId)]) {
    add(into, id, `status.${t.status}`, sign);
    if (whole !== null) add(into, id, `bpm.b${whole}`, sign);
    if (camelot) add(into, id, `key.${camelot}`, sign);
  }
  if (h !== null && whole !== null) add(into, fineStatsId(whole), `c.h${h - whole * 100}`, sign);
}

/** The `$inc`s that turn the counters of `before` into those of `after` (either may be absent). */
export function statsDelta(
  changes: readonly { before: TrackState | null; after: TrackState | null }[],
): Map<string, Record<string, number>> {
  const delta = new Map<string, Record<string, number>>();
  for (const { before, after } of changes) {
    contribute(delta, before, -1);
    contribute(delta, after, 1);
  }
  for (const [id, fields] of delta) {
    for (const [field, n] of Object.entries(fields)) if (n === 0) delete fields[field];
    if (Object.keys(fields).length === 0) delta.delete(id);
  }
  return delta;
}

export async function applyStatsDelta(
  stats: Collection<StatsDocument>,
  delta: Map<string, Record<string, number>>,
): Promise<void> {
  if (delta.size === 0) return;
  // Two first upserts of one counters document race: the loser is sent again.
  await bulkWriteRacingUpserts(
    stats,
    [...delta].map(([_id, fields]) => ({
      updateOne: { filter: { _id }, update: { $inc: fields }, upsert: true },
    })),
  );
}

/**
 * Applies deltas as group commits (see group-commit.ts): the deltas that
 * arrive while one bulk write is in flight are merged and sent together.
 * Each caller's promise settles once its own delta is written, so a track
 * write still returns with its counters up to date.
 */
export function createStatsWriter(stats: Collection<StatsDocument>) {
  const write = createGroupCommit<Map<string, Record<string, number>>, void>(async (deltas) => {
    const merged = new Map<string, Record<string, number>>();
    for (const delta of deltas)
      for (const [id, fields] of delta) {
        const into = merged.get(id) ?? {};
        for (const [field, n] of Object.entries(fields)) into[field] = (into[field] ?? 0) + n;
        merged.set(id, into);
      }
    await applyStatsDelta(stats, merged);
    return deltas.map(() => undefined);
  });
  return {
    /** Adds a delta to the next write and waits for that write. */
    apply: (delta: Map<string, Record<string, number>>): Promise<void> =>
      delta.size === 0 ? Promise.resolve() : write(delta),
  };
}

/**
 * Recounts every counter from the tracks (one pass over the collection) and
 * replaces the `stats` documents. Run by the schema owner while no process
 * writes tracks (when the schema is created or upgraded).
 */
export async function rebuildStats(db: Db): Promise<number> {
  const tracks = db.collection<TrackDocument>('tracks');
  const stats = db.collection<StatsDocument>('stats');
  const totals = new Map<string, Record<string, number>>();
  let n = 0;
  const cursor = tracks.find(
    {},
    { projection: { libraryId: 1, status: 1, 'tempo.bpm': 1, 'key.camelot': 1 } },
  );
  for await (const t of cursor) {
    contribute(totals, t, 1);
    n++;
  }
  await stats.deleteMany({});
  const docs = [...totals].map(([_id, fields]) => {
    const doc: Record<string, unknown> = { _id };
    for (const [path, count] of Object.entries(fields)) {
      const [group, name] = path.split('.') as [string, string];
      const sub = (doc[group] ??= {}) as Record<string, number>;
      sub[name] = count;
    }
    return doc as unknown as StatsDocument;
  });
  for (let i = 0; i < docs.length; i += 500) await stats.insertMany(docs.slice(i, i + 500));
  return n;
}

const positive = (counts: Record<string, number> | undefined) =>
  Object.entries(counts ?? {}).filter(([, n]) => n > 0);

/** Tracks per integer BPM from a counters document. */
export const bpmCounts = (doc: StatsDocument | null): Map<number, number> =>
  new Map(positive(doc?.bpm).map(([k, n]) => [Number(k.slice(1)), n]));

export const keyCounts = (doc: StatsDocument | null): Map<string, number> => new Map(positive(doc?.key));

/**
 * Tracks with `min <= bpm <= max`, from the counters: whole BPMs inside the
 * range from `all`, the BPMs a bound falls inside from their hundredths, and
 * the tracks of a hundredth a bound falls inside by `countExact` (tracks
 * with `from <= bpm <= max` and `bpm < below`: a handful).
 */
export async function countTempoRange(
  stats: Collection<StatsDocument>,
  min: number,
  max: number,
  countExact: (from: number, below: number) => Promise<number>,
  reads: { readonly maxTimeMS?: number } = {},
): Promise<number> {
  const inside = (lo: number, hi: number) => lo >= min && hi <= max;
  const outside = (lo: number, hi: number) => hi <= min || lo > max;
  let total = 0;
  const partial: number[] = [];
  for (const [bpm, n] of bpmCounts(await stats.findOne({ _id: ALL }, { ...reads, projection: { bpm: 1 } }))) {
    if (inside(bpm, bpm + 1)) total += n;
    else if (!outside(bpm, bpm + 1)) partial.push(bpm);
  }
  if (partial.length === 0) return total;
  const fine = await stats.find({ _id: { $in: partial.map(fineStatsId) } }, reads).toArray();
  const exact: Promise<number>[] = [];
  for (const doc of fine) {
    const bpm = Number(doc._id.slice('bpm:'.length));
    for (const [key, n] of positive(doc.c)) {
      const h = bpm * 100 + Number(key.slice(1));
      const lo = h / 100;
      const hi = (h + 1) / 100;
      if (inside(lo, hi)) total += n;
      else if (!outside(lo, hi)) exact.push(countExact(Math.max(min, lo), hi));
    }
  }
  for (const n of await Promise.all(exact)) total += n;
  return total;
}
