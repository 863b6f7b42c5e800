import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { apiKeys, users } from '../db/schema.ts';
import { hashApiKey, type PasswordCipher } from './listening-crypto.ts';

/** A listener, as the Subsonic API and GraphQL show it (never the password). */
export interface ListeningUser {
  readonly id: string;
  readonly name: string;
  readonly admin: boolean;
  readonly createdAt: string;
}

/** A user name that is taken. */
export class UserExistsError extends Error {
  override name = 'UserExistsError';
}

/** No user of that name (or id). */
export class UserNotFoundError extends Error {
  override name = 'UserNotFoundError';
}

const publicColumns = { id: users.id, name: users.name, admin: users.admin, createdAt: users.createdAt };

const NAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

/** Creates a user; the password is stored encrypted. Throws {@link UserExistsError} for a taken name. */
export async function createUser(
  db: Db,
  cipher: PasswordCipher,
  input: { readonly name: string; readonly password: string; readonly admin?: boolean },
): Promise<ListeningUser> {
  if (!NAME.test(input.name))
    throw new RangeError('a user name is 1 to 64 letters, digits or . _ @ - (no spaces)');
  if (input.password.length < 1 || input.password.length > 256)
    throw new RangeError('a password is 1 to 256 characters');
  const [row] = await db
    .insert(users)
    .values({ name: input.name, passwordEnc: cipher.encrypt(input.password), admin: input.admin ?? false })
    .onConflictDoNothing({ target: users.name })
    .returning(publicColumns);
  if (!row) throw new UserExistsError(`a user named ${input.name} exists`);
  return row;
}

/** Every user, by name. */
export async function listUsers(db: Db): Promise<ListeningUser[]> {
  return db.select(publicColumns).from(users).orderBy(asc(users.name));
}

/** A user and the password it signs in with, or null for an unknown name. */
export async function userCredentials(
  db: Db,
  cipher: PasswordCipher,
  name: string,
): Promise<{ user: ListeningUser; password: string } | null> {
  const [row] = await db
    .select({ ...publicColumns, passwordEnc: users.passwordEnc })
    .from(users)
    .where(eq(users.name, name));
  if (!row) return null;
  const { passwordEnc, ...user } = row;
  return { user, password: cipher.decrypt(passwordEnc) };
}

/**
 * Creates an API key for the named user and returns it: the only time it
 * is seen, since only its SHA-256 is stored. Throws {@link UserNotFoundError}.
 */
export async function createApiKey(
  db: Db,
  userName: string,
  keyName = 'default',
): Promise<{ id: string; key: string; user: ListeningUser }> {
  const [user] = await db.select(publicColumns).from(users).where(eq(users.name, userName));
  if (!user) throw new UserNotFoundError(`no user named ${userName}`);
  const key = `tgk_${randomBytes(24).toString('base64url')}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ userId: user.id, name: keyName, keyHash: hashApiKey(key) })
    .returning({ id: apiKeys.id });
  if (!row) throw new Error('insert returned no API key');
  return { id: row.id, key, user };
}

/** The user an API key belongs to, or null for an unknown key. */
export async function userByApiKey(db: Db, key: string): Promise<ListeningUser | null> {
  const [row] = await db
    .select(publicColumns)
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, hashApiKey(key)));
  return row ?? null;
}
