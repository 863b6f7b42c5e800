import { ReplayGain, Track, TrackAnalysis } from './entities.ts';
import { AnalysisStats, Query } from './query.ts';
import { DateTime } from './scalars.ts';
import { AnalysisCompleted, Subscription } from './subscription.ts';

export const resolvers = {
  DateTime,
  Query,
  Subscription,
  AnalysisCompleted,
  AnalysisStats,
  Track,
  TrackAnalysis,
  ReplayGain,
};
