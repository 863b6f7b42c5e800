/**
 * The API key or JWT the console sends: kept in sessionStorage (gone with the
 * tab), sent as `Authorization: Bearer …` on HTTP and as `{ authorization }`
 * in graphql-ws `connection_init`.
 */
const KEY = 'tonegraph.console.token';
const listeners = new Set<(token: string | null) => void>();

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: run without a key
  }
}

/** Stores a token (a leading `Bearer ` is dropped); null or blank clears it. */
export function setToken(value: string | null): void {
  const token = value?.trim().replace(/^bearer\s+/i, '') ?? '';
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(token || null);
}

export function onTokenChange(listener: (token: string | null) => void): void {
  listeners.add(listener);
}

export const bearer = (token: string): string => `Bearer ${token}`;
