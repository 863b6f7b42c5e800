import { isCatalogId, kindsOf, recordPlay, star, unstar, type StarKind } from '@tonegraph/catalog/store';
import type { Endpoint, EndpointContext } from '../context.ts';
import { missing, notFound } from '../errors.ts';

/** The items of star/unstar: `id` (a song, or a directory: album or artist), `albumId`, `artistId`. */
async function targets({ deps, params }: EndpointContext): Promise<Map<StarKind, string[]>> {
  const out = new Map<StarKind, string[]>([
    ['track', []],
    ['album', params.all('albumId')],
    ['artist', params.all('artistId')],
  ]);
  const ids = params.all('id');
  if (ids.length + out.get('album')!.length + out.get('artist')!.length === 0) throw missing('id');
  const kinds = await kindsOf(deps.database.db, ids.filter(isCatalogId));
  for (const id of ids) {
    const kind = kinds.get(id);
    if (!kind) throw notFound(`Item ${id}`);
    out.get(kind)!.push(id);
  }
  return out;
}

export const listening: Record<string, Endpoint> = {
  async star(ctx) {
    for (const [kind, ids] of await targets(ctx)) await star(ctx.deps.database.db, ctx.user.id, kind, ids);
    return {};
  },
  async unstar(ctx) {
    for (const [kind, ids] of await targets(ctx)) await unstar(ctx.deps.database.db, ctx.user.id, kind, ids);
    return {};
  },
  /**
   * A submission (the default) counts a play of each song at its `time`
   * (ms since the epoch; now when absent). "Now playing" notices
   * (submission=false) are accepted and not stored.
   */
  async scrobble({ deps, user, params }) {
    const ids = params.all('id');
    if (ids.length === 0) throw missing('id');
    if (!params.bool('submission', true)) return {};
    const times = params.all('time');
    for (const [i, id] of ids.entries()) {
      const ms = Number(times[i]);
      const at = Number.isFinite(ms) && ms > 0 ? new Date(ms) : new Date();
      const known = isCatalogId(id) && (await recordPlay(deps.database.db, user.id, id, at));
      if (!known) throw notFound(`Song ${id}`);
    }
    return {};
  },
};
