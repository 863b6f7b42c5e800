import { createHash } from 'node:crypto';

/** What a request may do: `read` (queries, subscriptions), `admin` (mutations; implies `read`). */
export const SCOPES = ['read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** One configured API key. */
export interface ApiKey {
  /** Shown in logs and metrics instead of the key. */
  readonly name: string;
  readonly scopes: readonly Scope[];
}

const KEY = /^[A-Za-z0-9._~-]{16,}$/;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** sha256 of a key: the table never holds the keys themselves, and lookups compare digests. */
export const keyDigest = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * Parses `GATEWAY_API_KEYS`: comma-separated `name:key:scope+scope` entries,
 * e.g. `ui:4f9c…:read,ops:d81a…:read+admin`. Keys are at least 16 characters
 * of `A-Z a-z 0-9 . _ ~ -`. Throws with every problem at once.
 */
export function parseApiKeys(value: string): Map<string, ApiKey> {
  const keys = new Map<string, ApiKey>();
  const problems: string[] = [];
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const [name = '', key = '', scopeList = '', ...rest] = entry.split(':');
    const scopes = scopeList.split('+').filter(Boolean);
    if (rest.length > 0 || !NAME.test(name)) problems.push(`entry ${i + 1}: expected name:key:scope+scope`);
    else if (!KEY.test(key)) problems.push(`${name}: the key must be 16+ characters of A-Z a-z 0-9 . _ ~ -`);
    else if (
      scopes.length === 0 ||
      !scopes.every((s): s is Scope => (SCOPES as readonly string[]).includes(s))
    )
      problems.push(`${name}: scopes must be read and/or admin, joined with +`);
    else if (keys.has(keyDigest(key))) problems.push(`${name}: the same key is listed twice`);
    else keys.set(keyDigest(key), { name, scopes });
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return keys;
}
