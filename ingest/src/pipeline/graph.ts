import type { AnalysisStore } from '@tonegraph/analysis/store';
import type { Db } from '@tonegraph/catalog/db';
import { loadCreditedTracks, type CreditedTrack } from '@tonegraph/catalog/store';
import type { AnalysisFeatures, CreditRole, GraphSync, TrackGraphInput } from '@tonegraph/library-graph/sync';
import type { Logger } from '@tonegraph/logger';
import type { GraphJob } from '@tonegraph/queues';

export interface GraphDeps {
  readonly db: Db;
  readonly sync: GraphSync;
  /** Where analysed features come from, when ingest analyses audio. */
  readonly analyses?: AnalysisStore;
  readonly log: Logger;
}

/** What the graph's similarity needs of an analysis. */
export function graphFeatures(doc: {
  tempo?: { bpm: number } | null;
  key?: { camelot: string } | null;
  loudness?: { integratedLufs: number | null } | null;
}): AnalysisFeatures {
  return {
    bpm: doc.tempo?.bpm ?? null,
    camelot: doc.key?.camelot ?? null,
    integratedLufs: doc.loudness?.integratedLufs ?? null,
  };
}

const ROLES = new Set<CreditRole>(['main', 'featured', 'remixer', 'composer']);

/** The library-graph input of a catalog track: its credit roles in the graph's spelling. */
function graphInputOf(track: CreditedTrack): TrackGraphInput {
  return {
    ...track,
    artists: track.artists.map((a) => {
      const role = a.role.toLowerCase() as CreditRole;
      return { id: a.id, name: a.name, role: ROLES.has(role) ? role : 'main' };
    }),
  };
}

/**
 * The graph stage: mirrors a committed batch of catalog tracks into Neo4j
 * (with their analysed features when they are known already; the analysis
 * stage updates them otherwise) and removes deleted ones. Idempotent: the
 * sync MERGEs, so a redelivery changes nothing.
 */
export function createGraphHandler(deps: GraphDeps) {
  return {
    async handle(job: GraphJob): Promise<void> {
      if (job.upsert.length > 0) {
        const inputs = (await loadCreditedTracks(deps.db, job.upsert)).map(graphInputOf);
        const analysed = deps.analyses ? await deps.analyses.findTracks(job.upsert) : [];
        const features = new Map(
          analysed.filter((d) => d.status === 'done').map((d) => [d._id, graphFeatures(d)]),
        );
        const batch: TrackGraphInput[] = inputs.map((input) => {
          const f = features.get(input.id);
          return f ? { ...input, features: f } : input;
        });
        await deps.sync.upsertTracks(batch);
      }
      if (job.remove.length > 0) await deps.sync.removeTracks(job.remove);
    },
    gaveUp(job: GraphJob, reason: string): Promise<void> {
      // The catalog is intact; the next scan of the library syncs these tracks again.
      deps.log.error(
        { jobId: job.jobId, upsert: job.upsert.length, remove: job.remove.length, reason },
        'graph sync given up; dead-lettered',
      );
      return Promise.reject(new Error(reason));
    },
  };
}
