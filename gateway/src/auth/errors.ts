import { GraphQLError } from 'graphql';

/** `extensions.code` of authentication and authorisation failures. */
export const AuthCode = {
  /** No credentials, or credentials that are invalid or expired: HTTP 401, graphql-ws close 4401. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** Valid credentials without the scope the operation needs: HTTP 403, graphql-ws close 4403. */
  Forbidden: 'FORBIDDEN',
} as const;

/** A refused request; carries the HTTP status Apollo Server and the transports answer with. */
export class AuthError extends GraphQLError {
  readonly status: 401 | 403;

  constructor(status: 401 | 403, message: string, extensions: Record<string, unknown> = {}) {
    const code = status === 401 ? AuthCode.Unauthenticated : AuthCode.Forbidden;
    // RFC 9110: a 401 names the scheme the client should use.
    const headers = status === 401 ? { headers: new Map([['www-authenticate', 'Bearer']]) } : {};
    super(message, { extensions: { ...extensions, code, http: { status, ...headers } } });
    this.name = 'AuthError';
    this.status = status;
  }

  /** The error as a GraphQL response body, without the `http` extension Apollo strips itself. */
  toBody(): { errors: { message: string; extensions: Record<string, unknown> }[] } {
    const { http: _http, ...extensions } = this.extensions;
    return { errors: [{ message: this.message, extensions }] };
  }
}
