// Listening data in GraphQL: users (Subsonic listeners) and their API keys,
// playlists, and each track's plays and stars over every user. Written by
// the Subsonic service through the same store functions.
import type { Context } from '../context.ts';
import { badInput, userError } from '../errors.ts';
import {
  createApiKey,
  createUser,
  listUsers,
  UserExistsError,
  UserNotFoundError,
  type ListeningUser,
} from '../store/listening-users.ts';
import {
  createPlaylist,
  getPlaylist,
  listPlaylists,
  type PlaylistSummary,
} from '../store/listening-playlists.ts';
import { requireId } from './ids.ts';

type TrackRef = { id: string };

/** Users of a request, read once (a handful of rows) for `Playlist.owner`. */
const usersOf = new WeakMap<Context, Promise<ListeningUser[]>>();
function users(ctx: Context): Promise<ListeningUser[]> {
  let found = usersOf.get(ctx);
  if (!found) usersOf.set(ctx, (found = listUsers(ctx.db)));
  return found;
}

export const TrackListening = {
  playCount: async (t: TrackRef, _: unknown, ctx: Context) =>
    (await ctx.loaders.playStatsByTrack.load(t.id)).playCount,
  lastPlayed: async (t: TrackRef, _: unknown, ctx: Context) =>
    (await ctx.loaders.playStatsByTrack.load(t.id)).lastPlayed,
  starCount: (t: TrackRef, _: unknown, ctx: Context) => ctx.loaders.starCountByTrack.load(t.id),
};

export const Playlist = {
  owner: async (p: PlaylistSummary, _: unknown, ctx: Context) =>
    (await users(ctx)).find((u) => u.id === p.ownerId),
  trackCount: (p: PlaylistSummary) => p.songCount,
  tracks: async (p: PlaylistSummary & { trackIds?: string[] }, _: unknown, ctx: Context) => {
    const ids = p.trackIds ?? (await getPlaylist(ctx.db, p.id))?.trackIds ?? [];
    const rows = await ctx.loaders.trackById.loadMany(ids);
    return rows.filter((r) => r !== null && !(r instanceof Error));
  },
};

export const ListeningQuery = {
  users: (_: unknown, __: unknown, ctx: Context) => users(ctx),
  playlists: (_: unknown, __: unknown, ctx: Context) => listPlaylists(ctx.db),
  playlist: (_: unknown, { id }: { id: string }, ctx: Context) => {
    requireId('id', id);
    return getPlaylist(ctx.db, id);
  },
};

export const ListeningMutation = {
  async createUser(
    _: unknown,
    args: { name: string; password: string; admin?: boolean | null },
    ctx: Context,
  ) {
    try {
      const user = await createUser(ctx.db, ctx.cipher, { ...args, admin: args.admin ?? false });
      ctx.log.info({ userId: user.id, name: user.name, admin: user.admin }, 'user created');
      return user;
    } catch (error) {
      if (error instanceof UserExistsError) throw userError('USER_EXISTS', error.message);
      if (error instanceof RangeError) throw badInput(error.message);
      throw error;
    }
  },
  async createApiKey(_: unknown, args: { userName: string; name?: string | null }, ctx: Context) {
    try {
      const created = await createApiKey(ctx.db, args.userName, args.name ?? 'default');
      ctx.log.info({ userId: created.user.id, keyId: created.id }, 'API key created');
      return created;
    } catch (error) {
      if (error instanceof UserNotFoundError) throw userError('NOT_FOUND', error.message);
      throw error;
    }
  },
  async createPlaylist(
    _: unknown,
    args: { ownerName: string; name: string; trackIds?: readonly string[] | null },
    ctx: Context,
  ) {
    const owner = (await users(ctx)).find((u) => u.name === args.ownerName);
    if (!owner) throw userError('NOT_FOUND', `no user named ${args.ownerName}`);
    const name = args.name.trim();
    if (name.length < 1 || name.length > 200) throw badInput('"name" must be 1 to 200 characters');
    for (const id of args.trackIds ?? []) requireId('trackIds', id);
    const id = await createPlaylist(ctx.db, owner.id, { name, trackIds: args.trackIds ?? [] });
    return getPlaylist(ctx.db, id);
  },
};
