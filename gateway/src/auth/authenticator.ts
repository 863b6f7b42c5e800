import { readFile } from 'node:fs/promises';
import {
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyLike,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
} from 'jose';
import { type ApiKey, SCOPES, type Scope, keyDigest } from './api-keys.ts';
import { AuthError } from './errors.ts';

/** Who made a request, and what it may do. */
export interface Principal {
  /** API key name, or the JWT's `sub`. */
  readonly subject: string;
  readonly kind: 'api-key' | 'jwt' | 'anonymous';
  readonly scopes: ReadonlySet<Scope>;
}

/** Every scope: what a request gets when authentication is off (development). */
export const ANONYMOUS: Principal = { subject: 'anonymous', kind: 'anonymous', scopes: new Set(SCOPES) };

/** How credentials are checked; `'off'` accepts every request with every scope. */
export type AuthOptions =
  | 'off'
  | {
      /** API key digest → key (see parseApiKeys). */
      readonly apiKeys?: ReadonlyMap<string, ApiKey>;
      readonly jwt?: JwtOptions;
    };

export interface JwtOptions {
  /** HS256 shared secret. */
  readonly secret?: string;
  /** RS256 public key, PEM (SPKI) text. */
  readonly publicKeyPem?: string;
  /** RS256 keys as a JWKS document (`{ keys: [...] }`), selected by `kid`. */
  readonly jwks?: { keys: object[] };
  /** RS256 keys fetched (and cached) from a JWKS URL. */
  readonly jwksUrl?: string;
  /** Required `iss`, when set. */
  readonly issuer?: string;
  /** Required `aud`, when set. */
  readonly audience?: string;
}

/** What a client presented: an `Authorization` header value and/or an `x-api-key` value. */
export interface Credentials {
  readonly authorization?: string | undefined;
  readonly apiKey?: string | undefined;
}

export interface Authenticator {
  readonly enabled: boolean;
  /** The principal, or an AuthError(401). */
  authenticate(credentials: Credentials): Promise<Principal>;
}

/** Reads the key material a JwtOptions names by file (PEM, JWKS) — at start-up only. */
export async function readJwtKeyFiles(files: {
  publicKeyFile?: string | undefined;
  jwksFile?: string | undefined;
}) {
  return {
    ...(files.publicKeyFile ? { publicKeyPem: await readFile(files.publicKeyFile, 'utf8') } : {}),
    ...(files.jwksFile
      ? { jwks: JSON.parse(await readFile(files.jwksFile, 'utf8')) as { keys: object[] } }
      : {}),
  };
}

/** OAuth2 `scope` (space-separated), or `scp`/`scopes` arrays, as some issuers send them. */
function scopesOf(payload: JWTPayload): Set<Scope> {
  const raw = payload.scope ?? payload.scp ?? payload.scopes;
  const list = typeof raw === 'string' ? raw.split(/\s+/) : Array.isArray(raw) ? raw.map(String) : [];
  return new Set(list.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)));
}

/** `admin` implies `read`. */
function withImplied(scopes: Iterable<Scope>): ReadonlySet<Scope> {
  const set = new Set(scopes);
  if (set.has('admin')) set.add('read');
  return set;
}

export async function createAuthenticator(options: AuthOptions): Promise<Authenticator> {
  if (options === 'off') return { enabled: false, authenticate: () => Promise.resolve(ANONYMOUS) };
  const apiKeys = options.apiKeys ?? new Map<string, ApiKey>();
  const jwt = options.jwt;
  const verifiers: { algorithms: string[]; key: Uint8Array | KeyLike | JWTVerifyGetKey }[] = [];
  if (jwt?.secret) verifiers.push({ algorithms: ['HS256'], key: new TextEncoder().encode(jwt.secret) });
  if (jwt?.publicKeyPem)
    verifiers.push({ algorithms: ['RS256'], key: await importSPKI(jwt.publicKeyPem, 'RS256') });
  if (jwt?.jwks) verifiers.push({ algorithms: ['RS256'], key: createLocalJWKSet(jwt.jwks as never) });
  if (jwt?.jwksUrl) verifiers.push({ algorithms: ['RS256'], key: createRemoteJWKSet(new URL(jwt.jwksUrl)) });
  if (apiKeys.size === 0 && verifiers.length === 0)
    throw new Error('authentication is on but no API key or JWT key is configured');

  const byApiKey = (key: string): Principal => {
    const entry = apiKeys.get(keyDigest(key));
    if (!entry) throw new AuthError(401, 'Invalid API key');
    return { subject: entry.name, kind: 'api-key', scopes: withImplied(entry.scopes) };
  };

  const byJwt = async (token: string): Promise<Principal> => {
    let lastError: unknown;
    for (const { algorithms, key } of verifiers) {
      try {
        const { payload } = await jwtVerify(token, key as Uint8Array, {
          algorithms,
          ...(jwt?.issuer ? { issuer: jwt.issuer } : {}),
          ...(jwt?.audience ? { audience: jwt.audience } : {}),
          requiredClaims: ['exp'],
        });
        return { subject: payload.sub ?? 'jwt', kind: 'jwt', scopes: withImplied(scopesOf(payload)) };
      } catch (error) {
        lastError = error;
        // A token whose signature checked out but whose claims did not: no other key will do better.
        if (error instanceof joseErrors.JWTExpired || error instanceof joseErrors.JWTClaimValidationFailed)
          break;
      }
    }
    if (lastError instanceof joseErrors.JWTExpired)
      throw new AuthError(401, 'The token has expired', { reason: 'expired' });
    if (lastError instanceof joseErrors.JWTClaimValidationFailed)
      throw new AuthError(401, `The token's "${lastError.claim}" claim is not accepted`, { reason: 'claim' });
    throw new AuthError(401, 'Invalid token', { reason: 'invalid' });
  };

  return {
    enabled: true,
    async authenticate({ authorization, apiKey }) {
      if (apiKey) return byApiKey(apiKey);
      if (!authorization)
        throw new AuthError(401, 'Authentication required: send Authorization: Bearer <token or API key>');
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw new AuthError(401, 'Unsupported Authorization scheme; use Bearer');
      const token = match[1]!;
      // A JWT has three dot-separated parts; an API key has no dots... unless it does: try the key table first.
      if (apiKeys.has(keyDigest(token)) || token.split('.').length !== 3 || verifiers.length === 0)
        return byApiKey(token);
      return byJwt(token);
    },
  };
}
