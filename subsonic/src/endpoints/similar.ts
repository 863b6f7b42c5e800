// Similar songs come from the library graph (SIMILAR_TO edges computed from
// tempo, key, loudness, genres and artists): the library-graph subgraph's
// `recommendations(seedTrackIds)` over an artist's or album's tracks, or a
// song alone. Called like the gateway calls a subgraph, signed with
// SUBGRAPH_SECRET; the songs themselves are then read from the catalog.
import { isCatalogId, kindsOf, songsByIds, trackIdsOf } from '@tonegraph/catalog/store';
import { SUBGRAPH_SECRET_HEADER } from '@tonegraph/subgraph-auth';
import type { Endpoint, EndpointContext, SubsonicDeps } from '../context.ts';
import { ErrorCode, SubsonicError, notFound } from '../errors.ts';
import type { Node } from '../envelope.ts';
import { songView } from '../views.ts';

/** Seeds taken from an artist's or album's tracks, at most. */
const MAX_SEEDS = 50;
const TIMEOUT_MS = 10_000;

const QUERY = `query Similar($seeds: [ID!]!, $limit: Int!) {
  recommendations(seedTrackIds: $seeds, limit: $limit) { id }
}`;

/** Track ids the library graph recommends after `seeds`, best first. */
export async function recommend(
  deps: SubsonicDeps,
  seeds: readonly string[],
  limit: number,
): Promise<string[]> {
  const response = await fetch(deps.libraryGraphUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(deps.subgraphSecret ? { [SUBGRAPH_SECRET_HEADER]: deps.subgraphSecret } : {}),
    },
    body: JSON.stringify({ query: QUERY, variables: { seeds, limit } }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = (await response.json()) as {
    data?: { recommendations?: { id: string }[] };
    errors?: { message: string }[];
  };
  if (!response.ok || body.errors?.length || !body.data?.recommendations)
    throw new Error(`library graph answered ${response.status}: ${body.errors?.[0]?.message ?? 'no data'}`);
  return body.data.recommendations.map((t) => t.id);
}

async function similar({ deps, user, params, log }: EndpointContext): Promise<Node[]> {
  const id = params.required('id');
  const count = params.int('count', 50, 1, 500);
  const kind = (await kindsOf(deps.database.db, [id].filter(isCatalogId))).get(id);
  if (!kind) throw notFound('Item');
  const seeds = kind === 'track' ? [id] : await trackIdsOf(deps.database.db, kind, id, MAX_SEEDS);
  if (seeds.length === 0) return [];
  let ids: string[];
  try {
    ids = await recommend(deps, seeds, count);
  } catch (error) {
    log.error({ err: error }, 'library graph unavailable for similar songs');
    throw new SubsonicError(ErrorCode.Generic, 'Similar songs are unavailable right now');
  }
  return (await songsByIds(deps.database.db, user.id, ids)).map(songView);
}

export const similarSongs: Record<string, Endpoint> = {
  /** `id` an artist (the API's meaning), an album or a song. */
  getSimilarSongs2: async (ctx) => ({ similarSongs2: { song: await similar(ctx) } }),
  getSimilarSongs: async (ctx) => ({ similarSongs: { song: await similar(ctx) } }),
};
