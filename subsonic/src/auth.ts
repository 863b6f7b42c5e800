// Who is asking: Subsonic's three ways to authenticate.
//   u + t + s   token: t = md5(password + s), s a fresh random salt (API 1.13+)
//   u + p       the password, plain or `enc:` + hex of its UTF-8 bytes
//   apiKey      OpenSubsonic's apiKeyAuthentication extension, alone
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  userByApiKey,
  userCredentials,
  type ListeningUser,
  type PasswordCipher,
} from '@tonegraph/catalog/store';
import type { Db } from '@tonegraph/catalog/db';
import { ErrorCode, SubsonicError, missing } from './errors.ts';
import type { Params } from './params.ts';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** `enc:<hex>` → the password; anything else is the password itself. */
export function decodePassword(p: string): string {
  return p.startsWith('enc:') ? Buffer.from(p.slice(4), 'hex').toString('utf8') : p;
}

const wrong = () => new SubsonicError(ErrorCode.WrongCredentials, 'Wrong username or password');

/**
 * The user a request speaks for, or a {@link SubsonicError}: 43 for an API
 * key beside u/p/t, 44 for an unknown key, 10 for missing parameters, 40 for
 * a wrong user name, password or token.
 */
export async function authenticate(db: Db, cipher: PasswordCipher, params: Params): Promise<ListeningUser> {
  const apiKey = params.get('apiKey');
  if (apiKey !== undefined) {
    if (params.has('u') || params.has('p') || params.has('t') || params.has('s'))
      throw new SubsonicError(
        ErrorCode.ConflictingAuth,
        'Multiple conflicting authentication mechanisms provided',
      );
    const user = await userByApiKey(db, apiKey);
    if (!user) throw new SubsonicError(ErrorCode.InvalidApiKey, 'Invalid API key');
    return user;
  }
  const name = params.get('u');
  if (name === undefined) throw missing('u');
  const password = params.get('p');
  const token = params.get('t');
  const salt = params.get('s');
  if (password === undefined && (token === undefined || salt === undefined))
    throw missing(token === undefined ? 'p' : 's');
  const found = await userCredentials(db, cipher, name);
  if (!found) throw wrong();
  const ok =
    password !== undefined
      ? sameText(decodePassword(password), found.password)
      : sameText(md5(found.password + salt).toLowerCase(), (token ?? '').toLowerCase());
  if (!ok) throw wrong();
  return found.user;
}
