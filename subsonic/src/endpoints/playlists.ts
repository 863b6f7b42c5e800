import {
  createPlaylist,
  deletePlaylist,
  getPlaylist,
  isCatalogId,
  listPlaylists,
  PlaylistNotFoundError,
  songsByIds,
  updatePlaylist,
} from '@tonegraph/catalog/store';
import type { Endpoint, EndpointContext } from '../context.ts';
import { badParam, missing, notFound } from '../errors.ts';
import { playlistView, songView } from '../views.ts';

async function playlistPayload({ deps, user }: EndpointContext, id: string) {
  const playlist = isCatalogId(id) ? await getPlaylist(deps.database.db, id, user.id) : null;
  if (!playlist) throw notFound('Playlist');
  const songs = await songsByIds(deps.database.db, user.id, playlist.trackIds);
  return { playlist: { ...playlistView(playlist), entry: songs.map(songView) } };
}

/** Runs a change of a playlist; someone else's (or an unknown one) is "not found". */
async function owned<T>(id: string, change: () => Promise<T>): Promise<T> {
  if (!isCatalogId(id)) throw notFound('Playlist');
  try {
    return await change();
  } catch (error) {
    if (error instanceof PlaylistNotFoundError) throw notFound('Playlist');
    throw error;
  }
}

const indexes = (values: readonly string[]) =>
  values.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw badParam('songIndexToRemove', 'must be an index from 0');
    return n;
  });

export const playlists: Record<string, Endpoint> = {
  async getPlaylists({ deps, user }) {
    const list = await listPlaylists(deps.database.db, user.id);
    return { playlists: { playlist: list.map(playlistView) } };
  },
  getPlaylist: (ctx) => playlistPayload(ctx, ctx.params.required('id')),
  /** With `playlistId`: replaces that playlist's songs (and renames it when `name` is given). */
  async createPlaylist(ctx) {
    const { deps, user, params } = ctx;
    const songIds = params.all('songId');
    const playlistId = params.get('playlistId');
    if (playlistId !== undefined) {
      await owned(playlistId, () =>
        updatePlaylist(deps.database.db, playlistId, user.id, {
          name: params.get('name'),
          replaceTrackIds: songIds,
        }),
      );
      return playlistPayload(ctx, playlistId);
    }
    const name = params.get('name');
    if (name === undefined) throw missing('name');
    const id = await createPlaylist(deps.database.db, user.id, { name, trackIds: songIds });
    return playlistPayload(ctx, id);
  },
  async updatePlaylist({ deps, user, params }) {
    const id = params.required('playlistId');
    await owned(id, () =>
      updatePlaylist(deps.database.db, id, user.id, {
        name: params.get('name'),
        comment: params.get('comment'),
        public: params.has('public') ? params.bool('public', false) : undefined,
        removeIndexes: indexes(params.all('songIndexToRemove')),
        addTrackIds: params.all('songIdToAdd'),
      }),
    );
    return {};
  },
  async deletePlaylist({ deps, user, params }) {
    const id = params.required('id');
    await owned(id, () => deletePlaylist(deps.database.db, id, user.id));
    return {};
  },
};
