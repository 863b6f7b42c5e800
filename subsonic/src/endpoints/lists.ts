import {
  albumList,
  randomSongs,
  searchAll,
  starredItems,
  type AlbumListType,
  type AlbumRow,
  type ArtistRow,
  type SongRow,
} from '@tonegraph/catalog/store';
import type { Endpoint, EndpointContext } from '../context.ts';
import type { Node } from '../envelope.ts';
import { badParam } from '../errors.ts';
import { albumDirView, albumView, artistView, songView } from '../views.ts';

const TYPES: readonly AlbumListType[] = [
  'random',
  'newest',
  'alphabeticalByName',
  'alphabeticalByArtist',
  'frequent',
  'recent',
  'starred',
  'byYear',
  'byGenre',
];

/** getAlbumList(2)'s page of albums, as the catalog orders them. */
function albumPage({ deps, user, params }: EndpointContext) {
  const type = params.required('type') as AlbumListType;
  if (!TYPES.includes(type)) throw badParam('type', `must be one of ${TYPES.join(', ')}`);
  return albumList(deps.database.db, user.id, {
    type,
    size: params.int('size', 10, 1, 500),
    offset: params.int('offset', 0),
    ...(type === 'byYear'
      ? { fromYear: params.requiredInt('fromYear'), toYear: params.requiredInt('toYear') }
      : {}),
    ...(type === 'byGenre' ? { genre: params.required('genre') } : {}),
  });
}

function search({ deps, user, params }: EndpointContext) {
  return searchAll(deps.database.db, user.id, {
    query: params.required('query'),
    artistCount: params.int('artistCount', 20, 0, 500),
    artistOffset: params.int('artistOffset', 0),
    albumCount: params.int('albumCount', 20, 0, 500),
    albumOffset: params.int('albumOffset', 0),
    songCount: params.int('songCount', 20, 0, 500),
    songOffset: params.int('songOffset', 0),
  });
}

/** Artists, albums and songs as one element; `album` renders albums as ID3 albums or as directories. */
const listed = (
  found: { artists: ArtistRow[]; albums: AlbumRow[]; songs: SongRow[] },
  album: (a: AlbumRow) => Node,
): Node => ({
  artist: found.artists.map(artistView),
  album: found.albums.map(album),
  song: found.songs.map(songView),
});

// The folder-based variants (getAlbumList, search2, getStarred) answer the same
// data with albums as directories: folder ids and ID3 ids are the same ids here.
export const lists: Record<string, Endpoint> = {
  getAlbumList2: async (ctx) => ({ albumList2: { album: (await albumPage(ctx)).map(albumView) } }),
  getAlbumList: async (ctx) => ({ albumList: { album: (await albumPage(ctx)).map(albumDirView) } }),
  async getRandomSongs({ deps, user, params }) {
    const songs = await randomSongs(deps.database.db, user.id, {
      size: params.int('size', 10, 1, 500),
      genre: params.get('genre'),
      fromYear: params.optionalInt('fromYear'),
      toYear: params.optionalInt('toYear'),
    });
    return { randomSongs: { song: songs.map(songView) } };
  },
  /** `query=""` (or `""` quoted) lists everything, page by page, as OpenSubsonic clients sync with it. */
  search3: async (ctx) => ({ searchResult3: listed(await search(ctx), albumView) }),
  search2: async (ctx) => ({ searchResult2: listed(await search(ctx), albumDirView) }),
  getStarred2: async ({ deps, user }) => ({
    starred2: listed(await starredItems(deps.database.db, user.id), albumView),
  }),
  getStarred: async ({ deps, user }) => ({
    starred: listed(await starredItems(deps.database.db, user.id), albumDirView),
  }),
};
