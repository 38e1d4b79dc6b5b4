import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signed reply address of an inquiry: `reply+<reference>.<signature>@MAIL_DOMAIN` (SPEC §6a).
 * The signature is an HMAC of the reference, so nobody can forge the address of someone else's inquiry.
 * Mail systems may lowercase a local part, so both halves are compared without case.
 */
const SIGNATURE_HEX = 16; // 64 bits of HMAC-SHA256
const LOCAL_PART = /^reply\+([a-z0-9-]{1,40})\.([0-9a-f]+)$/i;

function signature(reference: string, secret: string): string {
  return createHmac('sha256', secret).update(`reply-address:${reference.toUpperCase()}`).digest('hex').slice(0, SIGNATURE_HEX);
}

export function replyAddress(reference: string, secret: string, domain: string): string {
  return `reply+${reference}.${signature(reference, secret)}@${domain}`;
}

/** The reference an address signs for, or null when it is not a reply address of ours or its signature is wrong. */
export function verifyReplyAddress(address: string, secret: string, domain: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  const match = LOCAL_PART.exec(address.slice(0, at));
  if (!match) return null;
  const reference = match[1].toUpperCase();
  const given = Buffer.from(match[2].toLowerCase());
  const expected = Buffer.from(signature(reference, secret));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return reference;
}
