import { albumWithSongs, artistWithAlbums, listAlbumArtists, songsByIds } from '@tonegraph/catalog/store';
import type { Endpoint } from '../context.ts';
import { notFound } from '../errors.ts';
import { albumDirView, albumView, artistView, indexed, songView } from '../views.ts';

export const browse: Record<string, Endpoint> = {
  /** Folder-based browsing, with album artists as the top level (the catalog has no folders of its own). */
  async getIndexes({ deps, user }) {
    const artists = await listAlbumArtists(deps.database.db, user.id);
    return { indexes: { lastModified: Date.now(), ignoredArticles: '', index: indexed(artists) } };
  },
  async getArtists({ deps, user }) {
    const artists = await listAlbumArtists(deps.database.db, user.id);
    return { artists: { ignoredArticles: '', index: indexed(artists) } };
  },
  /** An artist's albums, or an album's songs: ids tell which (the catalog's UUIDs are unique across kinds). */
  async getMusicDirectory({ deps, user, params }) {
    const id = params.required('id');
    const artist = await artistWithAlbums(deps.database.db, user.id, id);
    if (artist) {
      return {
        directory: {
          id,
          name: artist.artist.name,
          starred: artist.artist.starred ?? undefined,
          child: artist.albums.map(albumDirView),
        },
      };
    }
    const album = await albumWithSongs(deps.database.db, user.id, id);
    if (!album) throw notFound('Directory');
    return {
      directory: {
        id,
        parent: album.album.artistId ?? undefined,
        name: album.album.name,
        starred: album.album.starred ?? undefined,
        playCount: album.album.playCount,
        child: album.songs.map(songView),
      },
    };
  },
  async getArtist({ deps, user, params }) {
    const found = await artistWithAlbums(deps.database.db, user.id, params.required('id'));
    if (!found) throw notFound('Artist');
    return { artist: { ...artistView(found.artist), album: found.albums.map(albumView) } };
  },
  async getAlbum({ deps, user, params }) {
    const found = await albumWithSongs(deps.database.db, user.id, params.required('id'));
    if (!found) throw notFound('Album');
    return { album: { ...albumView(found.album), song: found.songs.map(songView) } };
  },
  async getSong({ deps, user, params }) {
    const [song] = await songsByIds(deps.database.db, user.id, [params.required('id')]);
    if (!song) throw notFound('Song');
    return { song: songView(song) };
  },
};
