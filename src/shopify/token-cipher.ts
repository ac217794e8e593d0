import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest (the offline access tokens of OAuth installs) with AES-256-GCM under the key
 * `RECLAIM_ENCRYPTION_KEY`. Stored as `v1:` then the 12-byte IV, the 16-byte tag and the ciphertext, base64,
 * colon-separated; a changed byte or another key fails to decrypt instead of yielding garbage.
 */
export class TokenCipher {
  readonly #key: Buffer;

  constructor(key: string) {
    const bytes = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
    if (bytes.length !== 32) throw new Error('RECLAIM_ENCRYPTION_KEY must be 32 bytes');
    this.#key = bytes;
  }

  /** `associated` (the shop) is authenticated with the token, so a token copied to another shop's row fails. */
  encrypt(plain: string, associated: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associated));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
      .join(':');
  }

  decrypt(stored: string, associated: string): string {
    const [version, iv, tag, body] = stored.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not an encrypted token');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(associated));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
