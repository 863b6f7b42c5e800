import { DateTime } from '@tonegraph/subgraph-server';
import { Album, Artist, ImportJob, Library, Track, TrackArtist } from './entities.ts';
import { Mutation } from './mutation.ts';
import { Query, SearchResult } from './query.ts';
import { ImportProgress, LibraryEventResolvers, Subscription } from './subscription.ts';

export const resolvers = {
  Subscription,
  ImportProgress,
  LibraryEvent: LibraryEventResolvers,
  DateTime,
  Query,
  Mutation,
  SearchResult,
  Track,
  TrackArtist,
  Album,
  Artist,
  Library,
  ImportJob,
};
