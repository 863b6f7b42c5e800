// Catalog rows as the Subsonic API's elements (`child`, `albumID3`,
// `artistID3`, `playlist`), with OpenSubsonic's additions where cheap.
import type { AlbumRow, ArtistRow, PlaylistSummary, SongRow } from '@tonegraph/catalog/store';
import { AUDIO_CONTENT_TYPES } from '@tonegraph/streaming';
import type { Node } from './envelope.ts';

/** The MIME type of a stored format (`application/octet-stream` when unknown). */
export const contentTypeOf = (format: string): string =>
  AUDIO_CONTENT_TYPES[format.toLowerCase()] ?? 'application/octet-stream';

const safe = (text: string) => text.replaceAll('/', '_');

/** A track as a `child` (a song), with this user's play count and star. */
export function songView(s: SongRow): Node {
  const suffix = s.format.toLowerCase();
  return {
    id: s.id,
    parent: s.albumId ?? undefined,
    isDir: false,
    title: s.title,
    album: s.album ?? undefined,
    artist: s.artist ?? undefined,
    track: s.track ?? undefined,
    year: s.year ?? undefined,
    genre: s.genres[0],
    coverArt: s.coverAlbumId ?? undefined,
    size: s.size,
    contentType: contentTypeOf(suffix),
    suffix,
    duration: s.duration === null ? undefined : Math.round(s.duration),
    bitRate: s.bitrate === null ? undefined : Math.round(s.bitrate / 1000),
    // A display path (players group by it); the server's own paths are not shown.
    path: `${safe(s.artist ?? 'Unknown Artist')}/${safe(s.album ?? 'Unknown Album')}/${safe(s.title)}.${suffix}`,
    playCount: s.playCount,
    played: s.played ?? undefined,
    discNumber: s.discNumber ?? undefined,
    created: s.created,
    starred: s.starred ?? undefined,
    albumId: s.albumId ?? undefined,
    artistId: s.artistId ?? undefined,
    type: 'music',
    mediaType: 'song',
    isVideo: false,
    genres: s.genres.map((name) => ({ name })),
  };
}

/** An album as `albumID3`. */
export function albumView(a: AlbumRow): Node {
  return {
    id: a.id,
    name: a.name,
    title: a.name,
    artist: a.artist ?? (a.compilation ? 'Various Artists' : undefined),
    artistId: a.artistId ?? undefined,
    coverArt: a.hasCover ? a.id : undefined,
    songCount: a.songCount,
    duration: a.duration,
    playCount: a.playCount,
    played: a.played ?? undefined,
    created: a.created,
    starred: a.starred ?? undefined,
    year: a.year ?? undefined,
    genre: a.genres[0],
    genres: a.genres.map((name) => ({ name })),
    isCompilation: a.compilation,
  };
}

/** An album as a directory `child` of its artist (getMusicDirectory). */
export function albumDirView(a: AlbumRow): Node {
  return {
    id: a.id,
    parent: a.artistId ?? undefined,
    isDir: true,
    title: a.name,
    album: a.name,
    artist: a.artist ?? undefined,
    year: a.year ?? undefined,
    genre: a.genres[0],
    coverArt: a.hasCover ? a.id : undefined,
    playCount: a.playCount,
    created: a.created,
    starred: a.starred ?? undefined,
  };
}

/** An artist as `artistID3` (also the `artist` of getIndexes). */
export function artistView(a: ArtistRow): Node {
  return {
    id: a.id,
    name: a.name,
    albumCount: a.albumCount,
    starred: a.starred ?? undefined,
    sortName: a.sortName,
  };
}

/** A playlist's summary. */
export function playlistView(p: PlaylistSummary): Node {
  return {
    id: p.id,
    name: p.name,
    comment: p.comment ?? undefined,
    owner: p.owner,
    public: p.public,
    songCount: p.songCount,
    duration: p.duration,
    created: p.createdAt,
    changed: p.updatedAt,
    coverArt: p.coverAlbumId ?? undefined,
  };
}

/** Artists grouped under their sort name's first letter (`#` for anything not a letter). */
export function indexed(artists: readonly ArtistRow[]): Node[] {
  const groups = new Map<string, Node[]>();
  for (const a of artists) {
    const first = (a.sortName || a.name).trim().charAt(0).toUpperCase();
    const key = /\p{L}/u.test(first) ? first : '#';
    groups.set(key, [...(groups.get(key) ?? []), artistView(a)]);
  }
  return [...groups].map(([name, artist]) => ({ name, artist }));
}
