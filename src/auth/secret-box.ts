/**
 * Encryption of secrets the hub must read back (TOTP shared secrets cannot be hashed):
 * AES-256-GCM with a key derived (HKDF-SHA-256) from the configured secrets key, which lives
 * outside the database. A stolen dump alone yields no usable second factor.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { InvariantBroken } from '../shared/errors.js';

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  /** `purpose` separates keys: the same secrets key never encrypts two kinds of data alike. */
  constructor(secretsKey: string, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretsKey, 'ent-sso-hub', purpose, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** Throws on a tampered value or one sealed with another key. */
  open(sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) throw new InvariantBroken('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
