import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

/** argon2id with OWASP's recommended cost (19 MiB, 2 passes): slow for a guesser, quick enough for a login. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

/** False for a wrong password and for a malformed hash; never throws. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
const dummyHash = () => (dummy ??= hashPassword(randomBytes(24).toString('base64url')));

/** Computes the dummy hash ahead of the first sign-in, so even that one takes no longer for an unknown email. */
export function prepareDummyHash(): Promise<unknown> {
  return dummyHash();
}

/**
 * Verifies against a hash of a random password, so an unknown email (or an account without a password)
 * costs as much time as a wrong password and the answer time reveals nothing. Always false.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(await dummyHash(), password);
  return false;
}
