import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { InboundMessage } from './inbound-message.js';
import { verifyReplyAddress } from './reply-address.js';

/** Why a message waits in the holding pen instead of attaching. */
export type HoldReason = 'no_match' | 'subject_reference_only' | 'bad_signature' | 'sender_mismatch' | 'ambiguous' | 'anonymised';

export type Match = { inquiryId: string } | { held: HoldReason };

const REFERENCE_IN_TEXT = /\bPOL-[0-9A-HJKMNP-TV-Z]{6}\b/i;

/**
 * Safe matching (SPEC §6a): a message belongs to an inquiry only through a validly signed reply address or an
 * In-Reply-To/References naming one of our own Message-IDs, and only when it comes from the enquirer.
 * A reference in the subject proves nothing: anyone can type one.
 */
@Injectable()
export class InboundMatcher {
  constructor(private readonly config: AppConfig) {}

  async match(tx: EntityManager, message: InboundMessage): Promise<Match> {
    const { appSecret, mailDomain } = this.config;
    const signed: string[] = [];
    let badSignature = false;
    for (const address of message.recipients) {
      const reference = verifyReplyAddress(address, appSecret, mailDomain);
      if (reference) signed.push(reference);
      else if (/^reply\+/i.test(address) && address.toLowerCase().endsWith(`@${mailDomain.toLowerCase()}`)) badSignature = true;
    }
    const candidates: { id: string; email: string; anonymised_at: Date | null }[] = [];
    if (signed.length) {
      candidates.push(...(await tx.query(
        `SELECT id, email, anonymised_at FROM inquiries WHERE reference = ANY($1::text[])`, [signed])));
    }
    if (message.threadIds.length) {
      candidates.push(...(await tx.query(
        `SELECT DISTINCT i.id, i.email, i.anonymised_at FROM outbound_emails e JOIN inquiries i ON i.id = e.inquiry_id
         WHERE e.message_id = ANY($1::text[])`, [message.threadIds])));
    }
    const inquiries = new Map(candidates.map((c) => [c.id, c]));
    if (inquiries.size > 1) return { held: 'ambiguous' };
    const [inquiry] = inquiries.values();
    if (!inquiry) {
      if (badSignature) return { held: 'bad_signature' };
      return { held: REFERENCE_IN_TEXT.test(message.subject ?? '') ? 'subject_reference_only' : 'no_match' };
    }
    if (inquiry.anonymised_at) return { held: 'anonymised' };
    if (!message.from || message.from !== inquiry.email.trim().toLowerCase()) return { held: 'sender_mismatch' };
    return { inquiryId: inquiry.id };
  }
}
