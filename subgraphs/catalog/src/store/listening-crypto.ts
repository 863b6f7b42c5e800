import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encrypts and decrypts stored passwords (AES-256-GCM). Subsonic's token
 * authentication (`t = md5(password + s)`) can only be checked by a server
 * that knows the password, so it is stored recoverable, as Navidrome does,
 * under a key the operator sets (SUBSONIC_PASSWORD_KEY).
 */
export interface PasswordCipher {
  encrypt(plain: string): string;
  /** Throws {@link PasswordKeyError} when the value was encrypted under another key. */
  decrypt(stored: string): string;
}

/** A stored password does not decrypt under the configured key (the key changed). */
export class PasswordKeyError extends Error {
  override name = 'PasswordKeyError';
}

/**
 * The development default of SUBSONIC_PASSWORD_KEY: fine on a laptop,
 * announced with a warning where it is used in production.
 */
export const DEVELOPMENT_PASSWORD_KEY = 'tonegraph-development-password-key';

const VERSION = 'v1';

/** A cipher under `secret` (any length: the AES key is its SHA-256). */
export function passwordCipher(secret: string): PasswordCipher {
  const key = createHash('sha256').update(secret).digest();
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
      return [VERSION, ...parts].join(':');
    },
    decrypt(stored) {
      const [version, iv, tag, body] = stored.split(':');
      if (version !== VERSION || iv === undefined || tag === undefined || body === undefined)
        throw new PasswordKeyError('stored password has an unknown format');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch (error) {
        throw new PasswordKeyError('stored password does not decrypt: was SUBSONIC_PASSWORD_KEY changed?', {
          cause: error,
        });
      }
    },
  };
}

/** SHA-256 of an API key, hex: what is stored and looked up. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
