import {
  albumList,
  randomSongs,
  searchAll,
  starredItems,
  type AlbumListType,
} from '@tonegraph/catalog/store';
import type { Endpoint, EndpointContext } from '../context.ts';
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
  async search3(ctx) {
    const found = await search(ctx);
    return {
      searchResult3: {
        artist: found.artists.map(artistView),
        album: found.albums.map(albumView),
        song: found.songs.map(songView),
      },
    };
  },
  async search2(ctx) {
    const found = await search(ctx);
    return {
      searchResult2: {
        artist: found.artists.map(artistView),
        album: found.albums.map(albumDirView),
        song: found.songs.map(songView),
      },
    };
  },
  async getStarred2({ deps, user }) {
    const found = await starredItems(deps.database.db, user.id);
    return {
      starred2: {
        artist: found.artists.map(artistView),
        album: found.albums.map(albumView),
        song: found.songs.map(songView),
      },
    };
  },
  async getStarred({ deps, user }) {
    const found = await starredItems(deps.database.db, user.id);
    return {
      starred: {
        artist: found.artists.map(artistView),
        album: found.albums.map(albumDirView),
        song: found.songs.map(songView),
      },
    };
  },
};
