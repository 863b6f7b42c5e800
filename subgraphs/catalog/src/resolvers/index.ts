import { DateTime } from '@tonegraph/subgraph-server';
import { Album, Artist, ImportJob, Library, Track, TrackArtist } from './entities.ts';
import { ListeningMutation, ListeningQuery, Playlist, TrackListening } from './listening.ts';
import { Mutation } from './mutation.ts';
import { Query, SearchResult } from './query.ts';
import { ImportProgress, LibraryEventResolvers, Subscription } from './subscription.ts';

export const resolvers = {
  Subscription,
  ImportProgress,
  LibraryEvent: LibraryEventResolvers,
  DateTime,
  Query: { ...Query, ...ListeningQuery },
  Mutation: { ...Mutation, ...ListeningMutation },
  Playlist,
  SearchResult,
  Track: { ...Track, ...TrackListening },
  TrackArtist,
  Album,
  Artist,
  Library,
  ImportJob,
};
