import { DateTime } from '@tonegraph/subgraph-server';
import { ReplayGain, Track, TrackAnalysis } from './entities.ts';
import { AnalysisStats, Query } from './query.ts';
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
