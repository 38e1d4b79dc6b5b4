import { createHash } from 'node:crypto';
import { AddressObject, simpleParser } from 'mailparser';
import { stripQuotedHistory } from './quoted-history.js';

/** What matching needs from a raw message; parsed from the stored bytes, so it can always be parsed again. */
export interface InboundMessage {
  from: string | null;
  subject: string | null;
  /** Every address the message was for: envelope recipients, To, Cc, Delivered-To, X-Original-To. */
  recipients: string[];
  /** In-Reply-To and References, Message-IDs in angle brackets. */
  threadIds: string[];
  /** The new text of the answer, quoted history removed. */
  body: string;
  /** A hash of the new text, to recognise the same answer sent twice under different Message-IDs. */
  bodyHash: string;
}

export const MAX_INBOUND_BYTES = 10 * 1024 * 1024;

/**
 * The Message-ID header, read without a MIME parser (at the door, before anything can fail).
 * Null when there is none or it is unreadable.
 */
export function headerMessageId(raw: Buffer): string | null {
  const text = raw.subarray(0, 256 * 1024).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const headers = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.*)$/im.exec(headers);
  if (!match) return null;
  const id = /<[^<>\s]{1,900}>/.exec(match[1])?.[0] ?? match[1].trim();
  return id && id.length <= 998 ? id : null;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  const out: string[] = [];
  const walk = (entries: { address?: string; group?: { address?: string }[] }[]) => {
    for (const e of entries) {
      if (e.address) out.push(e.address);
      if (e.group) walk(e.group);
    }
  };
  for (const a of list) walk(a.value);
  return out;
}

function headerAddresses(value: unknown): string[] {
  if (!value) return [];
  if (typeof value === 'string') return value.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? [];
  if (Array.isArray(value)) return value.flatMap(headerAddresses);
  if (typeof value === 'object' && 'value' in (value as object)) return addresses(value as AddressObject);
  return [];
}

const idList = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((v) => v.match(/<[^<>\s]+>/g) ?? []);

export async function parseInbound(raw: Buffer, envelopeRecipients: string[] = []): Promise<InboundMessage> {
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });
  const from = addresses(mail.from)[0]?.toLowerCase() ?? null;
  const recipients = [
    ...envelopeRecipients,
    ...addresses(mail.to),
    ...addresses(mail.cc),
    ...headerAddresses(mail.headers.get('delivered-to')),
    ...headerAddresses(mail.headers.get('x-original-to')),
  ].map((a) => a.trim().toLowerCase());
  const body = stripQuotedHistory(mail.text ?? '');
  const normalised = body.replace(/\s+/g, ' ').trim().toLowerCase();
  return {
    from,
    subject: mail.subject ?? null,
    recipients: [...new Set(recipients)],
    threadIds: [...new Set([...idList(mail.inReplyTo), ...idList(mail.references)])],
    body,
    bodyHash: createHash('sha256').update(normalised).digest('hex'),
  };
}
