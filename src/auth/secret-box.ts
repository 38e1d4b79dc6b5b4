import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A stored secret that cannot be opened: APP_SECRET changed since it was sealed, or the value was altered. */
export class SecretUnreadable extends Error {
  constructor() {
    super('The stored secret cannot be decrypted (APP_SECRET changed, or the value was altered)');
    this.name = 'SecretUnreadable';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A fixed, application-wide HKDF salt (RFC 5869 §3.1: a non-secret salt still adds strength). */
const SALT = 'policy-inbox/hkdf/v1';

/**
 * Encrypts small secrets for the database with AES-256-GCM. The key is derived from APP_SECRET with HKDF-SHA256
 * and a purpose label, so it is a key of its own: not the one that signs tokens, and different per purpose.
 * Each value gets a random 96-bit IV; `context` (e.g. the account's id) is bound in as additional data, so a
 * ciphertext copied to another row does not open. Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(appSecret: string, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', appSecret, SALT, `policy-inbox:${purpose}`, 32));
  }

  seal(plain: Uint8Array, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** The plain bytes; throws SecretUnreadable for a wrong key, another context, or an altered or malformed value. */
  open(sealed: string, context: string): Buffer {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretUnreadable();
    const [iv, body, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretUnreadable();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new SecretUnreadable();
    }
  }
}
