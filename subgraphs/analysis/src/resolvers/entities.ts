import type { Context } from '../context.ts';
import type { TrackDocument } from '../documents.ts';
import { badInput } from '../errors.ts';
import { MAX_WAVEFORM_POINTS, waveformAt } from '../waveform.ts';

type Ref = { id: string };
type ReplayGainParent = NonNullable<TrackDocument['replayGain']> & { albumId: string | null };

export const Track = {
  // Loads now rather than in `analysis`: the representations of one
  // `_entities` call arrive together, so the DataLoader makes them one `find`.
  __resolveReference: async (ref: Ref, ctx: Context) => {
    await ctx.loaders.trackById.load(ref.id);
    return { id: ref.id };
  },
  analysis: (t: Ref, _: unknown, ctx: Context) => ctx.loaders.trackById.load(t.id),
};

export const TrackAnalysis = {
  status: (d: TrackDocument) => d.status.toUpperCase(),
  error: (d: TrackDocument) => d.error ?? null,
  tempo: (d: TrackDocument) => d.tempo ?? null,
  key: (d: TrackDocument) => (d.key ? { ...d.key, mode: d.key.mode.toUpperCase() } : null),
  loudness: (d: TrackDocument) => d.loudness ?? null,
  replayGain: (d: TrackDocument): ReplayGainParent | null =>
    d.replayGain ? { ...d.replayGain, albumId: d.albumId } : null,
  waveform: async (d: TrackDocument, { points }: { points: number }, ctx: Context) => {
    if (!Number.isInteger(points) || points < 1 || points > MAX_WAVEFORM_POINTS)
      throw badInput(`"points" must be between 1 and ${MAX_WAVEFORM_POINTS}, got ${points}`);
    if (!d.analyzerVersion) return null;
    const stored = await ctx.loaders.waveformsByAnalysis.load(`${d.contentHash}:${d.analyzerVersion}`);
    return waveformAt(stored, points);
  },
  durationSeconds: (d: TrackDocument) => d.durationSeconds ?? null,
  analyzedAt: (d: TrackDocument) => d.analyzedAt ?? null,
  analyzerVersion: (d: TrackDocument) => d.analyzerVersion ?? null,
};

export const ReplayGain = {
  albumGainDb: async (r: ReplayGainParent, _: unknown, ctx: Context) =>
    r.albumId ? ((await ctx.loaders.albumGainById.load(r.albumId))?.albumGainDb ?? null) : null,
  albumPeak: async (r: ReplayGainParent, _: unknown, ctx: Context) =>
    r.albumId ? ((await ctx.loaders.albumGainById.load(r.albumId))?.albumPeak ?? null) : null,
};
