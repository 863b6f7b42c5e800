import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { RequestHandler } from 'express';

/** Request errors: the document does not parse, does not validate, or its variables do not coerce. */
const REQUEST_ERRORS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/** The media type the client prefers most (highest `q`, the first of equals); `undefined` without one. */
export function preferredMediaType(accept: string | undefined | null): string | undefined {
  let best: { type: string; q: number } | undefined;
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!type) continue;
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1);
    if (!best || q > best.q) best = { type, q };
  }
  return best?.type;
}

/**
 * GraphQL over HTTP: a client that asks for `application/json` (the legacy
 * media type) gets parse, validation and variable-coercion errors with
 * status 200, as the spec recommends — status codes there belong to the
 * transport, and such clients read `errors`. `application/graphql-response+json`
 * (or anything preferred over `application/json`, e.g. `multipart/mixed`)
 * keeps Apollo Server's 400. Only those three codes: limits, auth and
 * overload keep their statuses whatever the client accepts.
 */
export function requestErrorsAs200ForJson(): ApolloServerPlugin<BaseContext> {
  return {
    requestDidStart: ({ request }) =>
      Promise.resolve({
        willSendResponse: ({ response }) => {
          if (
            response.http.status === 400 &&
            response.body.kind === 'single' &&
            preferredMediaType(request.http?.headers.get('accept')) === 'application/json'
          ) {
            const errors = response.body.singleResult.errors ?? [];
            const codes = errors.map((e) => String(e.extensions?.code));
            if (codes.length > 0 && codes.every((code) => REQUEST_ERRORS.has(code)))
              response.http.status = 200;
          }
          return Promise.resolve();
        },
      }),
  };
}

/**
 * Lets GET queries through Apollo Server's CSRF prevention without a
 * preflight header. Safe because a GET cannot have side effects here:
 * Apollo Server answers a mutation sent by GET with 405 before executing
 * anything, and a cross-site simple GET cannot carry the credentials the
 * gateway reads (`Authorization`, `x-api-key` headers — no cookies), so
 * with auth on it gets 401. POSTs keep the full check: a simple POST
 * (`text/plain`, a form) is still refused, so mutations stay protected.
 */
export const getQueriesWithoutPreflight: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' && req.headers['apollo-require-preflight'] === undefined) {
    req.headers['apollo-require-preflight'] = 'get';
  }
  next();
};
