import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import type { Scope } from './api-keys.ts';
import type { Authenticator, Credentials } from './authenticator.ts';
import { AuthError } from './errors.ts';

/** Credentials from an HTTP request: `Authorization: Bearer …` or `x-api-key`. */
export const credentialsOf = (headers: IncomingHttpHeaders): Credentials => ({
  authorization: typeof headers.authorization === 'string' ? headers.authorization : undefined,
  apiKey: typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : undefined,
});

/**
 * express middleware for the routes outside Apollo Server (the SSE stream,
 * the track export): authenticates the request and requires `scope`,
 * answering 401 (with `www-authenticate: Bearer`) or 403 itself, as
 * `/graphql` does. `onReject` gets each refusal's code (metrics).
 */
export function requireScope(
  authenticator: Authenticator,
  scope: Scope,
  refusal: string,
  onReject: (code: string) => void,
): RequestHandler {
  return (req, res, next) => {
    const refuse = (refused: AuthError) => {
      onReject(String(refused.extensions.code));
      if (refused.status === 401) res.setHeader('www-authenticate', 'Bearer');
      res.status(refused.status).json(refused.toBody());
    };
    authenticator.authenticate(credentialsOf(req.headers)).then(
      (principal) => {
        if (principal.scopes.has(scope)) return next();
        refuse(new AuthError(403, refusal, { requiredScope: scope }));
      },
      (error: unknown) =>
        refuse(error instanceof AuthError ? error : new AuthError(401, 'Authentication failed')),
    );
  };
}
