import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { EmailKind } from './outbound-email.entity.js';
import { OutboxSignal } from './outbox-signal.js';

/** An email to send, as the change that causes it describes it. Rendered later from templates/<kind>.*. */
export interface NewEmail {
  kind: EmailKind;
  inquiryId?: string | null;
  recipient: string;
  subject: string;
  replyTo?: string | null;
  inReplyTo?: string | null;
  references?: string[];
  /** What the template needs beyond the inquiry and its topic (e.g. a reply's body). */
  payload?: Record<string, unknown>;
}

/**
 * The outbox (SPEC §4): emails become rows in the caller's transaction, so they exist exactly when the
 * change that causes them commits. The relay hands them to the queue after commit.
 */
@Injectable()
export class OutboxService {
  constructor(private readonly config: AppConfig, private readonly signal: OutboxSignal) {}

  newMessageId(): { id: string; messageId: string } {
    const id = randomUUID();
    return { id, messageId: `<${id}@${this.config.mailDomain}>` };
  }

  /** Adds the emails inside `tx` (an EntityManager of an open transaction); returns their ids and Message-IDs. */
  async add(tx: EntityManager, emails: NewEmail[]): Promise<{ id: string; messageId: string }[]> {
    if (!emails.length) return [];
    const ids = emails.map(() => this.newMessageId());
    const params: unknown[] = [];
    const rows = emails.map((e, i) => {
      params.push(ids[i].id, e.kind, e.inquiryId ?? null, e.recipient, e.subject, ids[i].messageId, e.inReplyTo ?? null,
        e.references ?? [], e.replyTo ?? null, JSON.stringify(e.payload ?? {}));
      const b = i * 10;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}::text[], $${b + 9}, $${b + 10}::jsonb)`;
    });
    await tx.query(
      `INSERT INTO outbound_emails (id, kind, inquiry_id, recipient, subject, message_id, in_reply_to, "references", reply_to, payload)
       VALUES ${rows.join(', ')}`,
      params,
    );
    // The caller commits after this returns; a wake-up shortly after usually finds the rows (the poll always does).
    this.signal.poke(50);
    return ids;
  }
}
