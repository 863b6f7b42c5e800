import { getTableColumns } from 'drizzle-orm';
import { albums, artists, tracks, type AlbumRow, type ArtistRow, type TrackRow } from './schema.ts';

// The generated `search` vectors serve WHERE clauses only and are never fetched.
const { search: _t, ...trackColumns } = getTableColumns(tracks);
const { search: _a, ...albumColumns } = getTableColumns(albums);
const { search: _r, ...artistColumns } = getTableColumns(artists);

export { albumColumns, artistColumns, trackColumns };

export type Track = Omit<TrackRow, 'search'>;
export type Album = Omit<AlbumRow, 'search'>;
export type Artist = Omit<ArtistRow, 'search'>;
