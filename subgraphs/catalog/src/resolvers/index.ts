import { Album, Artist, ImportJob, Library, Track, TrackArtist } from './entities.ts';
import { Mutation } from './mutation.ts';
import { Query, SearchResult } from './query.ts';
import { DateTime } from './scalars.ts';

export const resolvers = {
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
