import DataLoader from 'dataloader';
import { albumReplayGain } from '@tonegraph/audio-analysis';
import { throwIfAbandoned } from '@tonegraph/request-scope';
import type { TrackDocument, Waveform } from './documents.ts';
import { findAlbumGainInputs, findWaveforms, type AlbumGainInput } from './queries.ts';
import type { AnalysisStore } from './store.ts';

/**
 * One set of loaders per request (or per subscription): every lookup that
 * names several ids becomes a single MongoDB command, so resolving N track
 * entities costs one `find` whatever N is.
 */
/** An album's ReplayGain 2.0 values. */
export interface AlbumGain {
  /** Null for a silent album. */
  readonly albumGainDb: number | null;
  /** Highest track peak, linear. */
  readonly albumPeak: number;
}

/**
 * ReplayGain of an album as one programme: the gating histograms of its
 * analysed tracks are pooled and gated once (the analyser's own math). Null
 * when the histograms cannot be pooled (different bin grids, e.g. mixed
 * analyser versions): an unknown album gain, not a failed request.
 */
function albumGain(inputs: readonly AlbumGainInput[]): AlbumGain | null {
  try {
    const { albumGainDb, albumPeak } = albumReplayGain(
      inputs.map((i) => ({
        gatingHistogram: i.gatingHistogram,
        replayGain: { trackGainDb: null, trackPeak: i.trackPeak },
      })),
    );
    return { albumGainDb, albumPeak };
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** A DataLoader whose batches are not started for a request the gateway abandoned. */
function loader<K, V>(batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  // async: the refusal is a rejected batch, not a synchronous throw DataLoader would wrap.
  return new DataLoader<K, V>(async (keys) => {
    throwIfAbandoned();
    return batch(keys);
  });
}

export function createLoaders(store: AnalysisStore) {
  return {
    /** Track documents (status and summary) by catalog track id. */
    trackById: loader<string, TrackDocument | null>(async (ids) => {
      const docs = new Map((await store.findTracks(ids)).map((d) => [d._id, d]));
      return ids.map((id) => docs.get(id) ?? null);
    }),
    /** Stored waveforms by analysis id (`<hash>:<version>`); only fetched when a waveform is asked for. */
    waveformsByAnalysis: loader<string, readonly Waveform[]>(async (ids) => {
      const found = await findWaveforms(store, ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
    /** Album ReplayGain by catalog album id, from the gating histograms of its analysed tracks. */
    albumGainById: loader<string, AlbumGain | null>(async (albumIds) => {
      const byAlbum = new Map<string, AlbumGainInput[]>();
      for (const input of await findAlbumGainInputs(store, albumIds)) {
        const list = byAlbum.get(input.albumId);
        if (list) list.push(input);
        else byAlbum.set(input.albumId, [input]);
      }
      return albumIds.map((id) => {
        const inputs = byAlbum.get(id);
        return inputs ? albumGain(inputs) : null;
      });
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
