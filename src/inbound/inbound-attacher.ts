import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { StaffPrincipal } from '../auth/staff.entity.js';
import { AppConfig } from '../config/app-config.js';
import { OutboxService } from '../mail/outbox.service.js';
import { sensitiveFlags } from '../privacy/sensitive-data.js';

export interface Attachment {
  inboundEmailId: string;
  inquiryId: string;
  /** The new text of the answer, as the conversation shows it. */
  body: string;
  /** Null when matching attached it; the admin who attached it from the holding pen otherwise. */
  actor: Pick<StaffPrincipal, 'id' | 'email'> | null;
}

/**
 * Puts an answer on its inquiry: a conversation message, the inquiry reopened when it was waiting or resolved,
 * and a notice to the assignee — all in the caller's transaction.
 */
@Injectable()
export class InboundAttacher {
  constructor(
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async attach(tx: EntityManager, a: Attachment): Promise<void> {
    const [inquiry]: { id: string; reference: string; status: string; assignee_id: string | null }[] = await tx.query(
      `SELECT id, reference, status, assignee_id FROM inquiries WHERE id = $1 FOR UPDATE`, [a.inquiryId]);
    await tx.query(
      `INSERT INTO conversation_messages (id, inquiry_id, direction, body, inbound_email_id) VALUES ($1, $2, 'inbound', $3, $4)`,
      [randomUUID(), inquiry.id, a.body, a.inboundEmailId]);
    await tx.query(
      `UPDATE inbound_emails SET status = 'attached', inquiry_id = $2, hold_reason = NULL, error = NULL, processed_at = now()
       WHERE id = $1`, [a.inboundEmailId, inquiry.id]);
    const flags = sensitiveFlags(a.body);
    if (flags.length) {
      // The detector's flags cover the whole conversation, not only the first message.
      await tx.query(
        `UPDATE inquiries SET sensitive_flags = ARRAY(SELECT DISTINCT f FROM unnest(sensitive_flags || $2::text[]) AS f ORDER BY f)
         WHERE id = $1 AND NOT sensitive_flags @> $2::text[]`, [inquiry.id, flags]);
    }
    if (a.actor) {
      await this.audit.record(tx, { inquiryId: inquiry.id, actor: a.actor, action: 'inbound.attached', changes: {} });
    }
    if (inquiry.status === 'waiting' || inquiry.status === 'resolved') {
      await tx.query(
        `UPDATE inquiries SET status = 'open', resolved_at = NULL, version = version + 1, updated_at = now() WHERE id = $1`,
        [inquiry.id]);
      await this.audit.record(tx, {
        inquiryId: inquiry.id, actor: a.actor, action: 'inquiry.reopened', changes: { status: { from: inquiry.status, to: 'open' } },
      });
    }
    // A snoozed inquiry wakes at once when the enquirer answers (SPEC §9); the notice below tells the assignee.
    const [woken]: [{ snoozed_until: Date }[]] = await tx.query(
      `UPDATE inquiries i SET snoozed_until = NULL, snoozed_by = NULL, version = version + 1, updated_at = now()
       FROM (SELECT snoozed_until FROM inquiries WHERE id = $1) old
       WHERE i.id = $1 AND i.snoozed_until IS NOT NULL RETURNING old.snoozed_until`, [inquiry.id]);
    if (woken.length) {
      await this.audit.record(tx, {
        inquiryId: inquiry.id, actor: a.actor, action: 'inquiry.woken',
        changes: { snoozedUntil: { from: new Date(woken[0].snoozed_until).toISOString(), to: null }, reason: { from: null, to: 'enquirer-answered' } },
      });
    }
    if (inquiry.assignee_id) {
      const [assignee]: { email: string }[] = await tx.query(
        `SELECT email FROM staff WHERE id = $1 AND active`, [inquiry.assignee_id]);
      if (assignee) {
        // A short notice: the enquirer's words stay in the inbox, not in another mailbox.
        await this.outbox.add(tx, [{
          kind: 'notification',
          inquiryId: inquiry.id,
          recipient: assignee.email,
          subject: `[${inquiry.reference}] The enquirer has answered`,
          payload: { event: 'enquirer-answered', reference: inquiry.reference, adminUrl: `${this.config.publicBaseUrl}/admin/inquiries/${inquiry.id}` },
        }]);
      }
    }
  }
}
