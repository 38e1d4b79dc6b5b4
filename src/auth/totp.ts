import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) and base32 (RFC 4648), with node:crypto only.
 * Production uses HMAC-SHA1, 30-second steps, 6 digits and T0 = 0: what every authenticator app does by default.
 */

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps of clock drift accepted either side of now (RFC 6238 §5.2 recommends at most one). */
export const TOTP_DRIFT_STEPS = 1;
/** 160 bits, the HMAC-SHA1 block output size RFC 4226 §4 recommends as the secret's length. */
export const TOTP_SECRET_BYTES = 20;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, upper case, without padding (as otpauth:// URLs carry it). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes base32: case-insensitive, ignoring spaces, hyphens and trailing `=` padding (people copy keys in
 * groups). Throws on any other character, and on leftover bits that are not zero (a mistyped last character).
 */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new Error('Not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  if (bits >= 5 || value !== 0) throw new Error('Not base32: stray bits at the end');
  return Buffer.from(out);
}

/** RFC 4226 HOTP: HMAC of the 8-byte big-endian counter, dynamic truncation, `digits` decimal digits. */
export function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('counter must be a non-negative safe integer');
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError('digits must be 6 to 10');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) * 2 ** 24) + (mac[offset + 1] << 16) + (mac[offset + 2] << 8) + mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The RFC 6238 time step of an instant: floor((unix seconds - T0) / 30). */
export function timeStep(atMs: number): number {
  return Math.floor(atMs / 1000 / TOTP_STEP_SECONDS);
}

/** The TOTP value at an instant (RFC 6238 §4.2). */
export function totp(key: Uint8Array, atMs: number, digits = TOTP_DIGITS, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  return hotp(key, timeStep(atMs), digits, algorithm);
}

export type TotpCheck =
  | { ok: true; step: number }
  /** `replayed`: the code is right for a step at or before the last one accepted (a code works once). */
  | { ok: false; reason: 'wrong' | 'replayed' };

/**
 * Checks a 6-digit code against the steps now-1, now and now+1 (±30 s of clock drift). A code is accepted only
 * for a step after `lastStep`, the newest step accepted before: so the same code twice, or an older code after a
 * newer one, is refused even inside its window. The caller stores the returned step (atomically, see the service).
 */
export function checkTotp(key: Uint8Array, code: string, atMs: number, lastStep: number | null, drift = TOTP_DRIFT_STEPS): TotpCheck {
  if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'wrong' };
  const now = timeStep(atMs);
  const given = Buffer.from(code);
  let replayed = false;
  // Newest first, so of two matching steps (never in practice) the later one is taken.
  for (let step = now + drift; step >= now - drift; step--) {
    if (step < 0) continue;
    const matches = timingSafeEqual(Buffer.from(hotp(key, step)), given);
    if (!matches) continue;
    if (lastStep !== null && step <= lastStep) {
      replayed = true;
      continue;
    }
    return { ok: true, step };
  }
  return { ok: false, reason: replayed ? 'replayed' : 'wrong' };
}

/** A new random secret (20 bytes). */
export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

/** The key as people type it: base32 in groups of four ("JBSW Y3DP …"). */
export function groupedKey(base32: string): string {
  return base32.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * The otpauth:// URL authenticator apps read from the QR code (the Key Uri Format): the label is "Issuer:account"
 * and the issuer is repeated as a parameter. SHA1, 6 digits and 30 s are every app's defaults, so they are left
 * out (a few apps mishandle the `algorithm` parameter).
 */
export function otpauthUrl(base32: string, account: string, issuer: string): string {
  const part = (s: string) => encodeURIComponent(s).replace(/%40/g, '@');
  return `otpauth://totp/${part(issuer)}:${part(account)}?secret=${base32}&issuer=${encodeURIComponent(issuer)}`;
}
