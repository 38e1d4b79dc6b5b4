import { randomInt } from 'node:crypto';

/** Crockford base32 without I, L, O, U. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REFERENCE_PATTERN = /^POL-[0-9A-HJKMNP-TV-Z]{6}$/;

export function newReference(): string {
  let s = 'POL-';
  for (let i = 0; i < 6; i++) s += ALPHABET[randomInt(32)];
  return s;
}
