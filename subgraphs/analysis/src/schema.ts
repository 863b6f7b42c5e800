import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoServerError, type Db, type IndexDescription } from 'mongodb';
import type { Logger } from '@tonegraph/logger';
import { encodeHistogram, encodeWaveform } from './compact.ts';
import type { AnalysisDataDocument, GatingHistogram, Waveform } from './documents.ts';
import { rebuildStats } from './stats.ts';

/**
 * The analysis database's schema has one owner, this module: indexes, the
 * shape of stored documents and the counters. Every process that opens the
 * store calls {@link ensureSchema}; the first to find the schema behind
 * takes a lock (a document with a unique `_id`) and brings it up to date,
 * the others wait for it, so concurrent first starts never race.
 */

/** Version 2: compact analysis data in `analysis_data`, counters in `stats`, pushdown-friendly indexes. */
export const SCHEMA_VERSION = 2;

const META_ID = 'analysis-store';
const LOCK_ID = 'analysis-store:lock';
/** A lock older than this is a crashed owner's: taken over. */
const STALE_LOCK_MS = 10 * 60_000;

interface MetaDocument {
  readonly _id: string;
  readonly version?: number;
  readonly owner?: string;
  readonly at?: Date;
}

/**
 * Indexes of `tracks`, each named for what it serves. Every query the store
 * and the subgraph send is an equality or range on a leading prefix of one
 * of these, so that it is an index search on MongoDB and on the local
 * FerretDB build alike (tools/ferretdb).
 */
export const TRACK_INDEXES: readonly IndexDescription[] = [
  // tracksByTempo: a tempo range in (bpm, id) order.
  { key: { 'tempo.bpm': 1, _id: 1 }, name: 'tempo_id' },
  // harmonicMatches: one key, a tempo range, in tempo order.
  { key: { 'key.camelot': 1, 'tempo.bpm': 1, _id: 1 }, name: 'camelot_tempo_id' },
  // tracksToAnalyse: the tracks of one library.
  { key: { libraryId: 1, status: 1 }, name: 'library_status' },
  // album ReplayGain: the analysed tracks of some albums.
  { key: { albumId: 1, status: 1 }, name: 'album_status' },
];

/** Indexes of schema version 1, dropped by the upgrade. */
const OLD_INDEXES = ['tempo', 'key_tempo', 'album', 'content'];

const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === 11000;

/** Brings the schema to {@link SCHEMA_VERSION}, or waits while another process does. */
export async function ensureSchema(db: Db, log?: Logger): Promise<void> {
  const meta = db.collection<MetaDocument>('schema');
  const owner = randomUUID();
  let waitingSaid = false;
  for (;;) {
    const current = await meta.findOne({ _id: META_ID });
    if ((current?.version ?? 0) >= SCHEMA_VERSION) return;
    try {
      await meta.insertOne({ _id: LOCK_ID, owner, at: new Date() });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const lock = await meta.findOne({ _id: LOCK_ID });
      if (lock?.at && Date.now() - lock.at.getTime() > STALE_LOCK_MS) {
        log?.warn({ owner: lock.owner, since: lock.at }, 'analysis store: taking over a stale schema lock');
        await meta.deleteOne(
          lock.owner === undefined ? { _id: LOCK_ID } : { _id: LOCK_ID, owner: lock.owner },
        );
        continue;
      }
      if (!waitingSaid) {
        log?.info(
          { db: db.databaseName },
          'analysis store: waiting for another process to create its schema',
        );
        waitingSaid = true;
      }
      await sleep(200);
      continue;
    }
    try {
      await upgrade(db, current?.version ?? 0, log);
      await meta.updateOne(
        { _id: META_ID },
        { $set: { version: SCHEMA_VERSION, at: new Date() } },
        { upsert: true },
      );
    } finally {
      await meta.deleteOne({ _id: LOCK_ID, owner });
    }
  }
}

async function upgrade(db: Db, from: number, log?: Logger): Promise<void> {
  const started = performance.now();
  const tracks = db.collection('tracks');
  const existing = new Set((await tracks.indexes().catch(() => [])).map((i) => String(i.name)));
  for (const name of OLD_INDEXES) if (existing.has(name)) await tracks.dropIndex(name);
  // One index per command: FerretDB 1.24 drops the connection when one
  // createIndexes names several indexes that all exist.
  for (const spec of TRACK_INDEXES) await tracks.createIndexes([spec]);
  const moved = await moveAnalysisData(db);
  const counted = await rebuildStats(db);
  log?.info(
    {
      db: db.databaseName,
      from,
      to: SCHEMA_VERSION,
      moved,
      counted,
      ms: Math.round(performance.now() - started),
    },
    'analysis store: schema up to date',
  );
}

/** Version 1 kept waveforms and histograms as arrays of doubles inside `analyses`: moved, compacted. */
async function moveAnalysisData(db: Db): Promise<number> {
  const analyses = db.collection<{
    _id: string;
    waveforms?: readonly Waveform[];
    gatingHistogram?: GatingHistogram;
  }>('analyses');
  const data = db.collection<AnalysisDataDocument>('analysis_data');
  let moved = 0;
  for await (const a of analyses.find({ waveforms: { $exists: true } })) {
    if (!a.waveforms || !a.gatingHistogram) continue;
    const doc: AnalysisDataDocument = {
      _id: a._id,
      waveforms: a.waveforms.map(encodeWaveform),
      gatingHistogram: encodeHistogram(a.gatingHistogram),
    };
    await data.updateOne({ _id: a._id }, { $setOnInsert: doc }, { upsert: true });
    await analyses.updateOne({ _id: a._id }, { $unset: { waveforms: '', gatingHistogram: '' } });
    moved++;
  }
  return moved;
}
