import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { Conflict, InvalidInput, NotFound } from '../../common/errors.js';
import { OutboxSignal } from '../../mail/outbox-signal.js';
import { AuditService } from '../../audit/audit.service.js';
import { EmailPage, EmailView, ListEmailsQuery } from './emails.dto.js';

interface EmailRow {
  id: string;
  inquiry_id: string | null;
  reference: string | null;
  kind: EmailView['kind'];
  recipient: string;
  status: EmailView['status'];
  attempts: number;
  last_error: string | null;
  message_id: string;
  sent_at: Date | null;
  created_at: Date;
  /** created_at to the microsecond, as text: a JS Date would round it and the cursor would skip rows. */
  position: string;
}

const SELECT = `
  SELECT e.id, e.inquiry_id, i.reference, e.kind, e.recipient, e.status, e.attempts, e.last_error, e.message_id,
         e.sent_at, e.created_at, e.created_at::text AS position
    FROM outbound_emails e LEFT JOIN inquiries i ON i.id = e.inquiry_id`;

const toView = (r: EmailRow): EmailView => ({
  id: r.id, inquiryId: r.inquiry_id, reference: r.reference, kind: r.kind, to: r.recipient, status: r.status,
  attempts: r.attempts, lastError: r.last_error, messageId: r.message_id, sentAt: r.sent_at, createdAt: r.created_at,
});

/** PostgreSQL's text form of a timestamptz, e.g. `2026-11-24 05:10:00.123456+00`. */
const POSITION = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(r: EmailRow): string {
  return Buffer.from(JSON.stringify([r.position, r.id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const [position, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof position === 'string' && POSITION.test(position) && typeof id === 'string' && UUID.test(id)) {
      return [position, id];
    }
  } catch {
    // fall through
  }
  throw new InvalidInput([{ field: 'cursor', message: 'cursor is not one this API gave out' }]);
}

/** The delivery ledger as admins see it: failed emails to look at, and a retry that keeps the Message-ID. */
@Injectable()
export class EmailsService {
  constructor(private readonly db: DataSource, private readonly audit: AuditService, private readonly signal: OutboxSignal) {}

  async list(query: ListEmailsQuery): Promise<EmailPage> {
    const limit = query.limit ?? 25;
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      params.push(query.status);
      where.push(`e.status = $${params.length}`);
    }
    if (query.cursor) {
      const [position, id] = decodeCursor(query.cursor);
      params.push(position, id);
      where.push(`(e.created_at, e.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows: EmailRow[] = await this.db.query(
      `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY e.created_at DESC, e.id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    return { items: page.map(toView), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
  }

  /** Sends a failed email again: back to pending, due now, with the same Message-ID and attempt count. */
  async retry(id: string, actor: StaffPrincipal): Promise<EmailView> {
    return this.db.transaction(async (tx) => {
      const updated: { id: string; inquiry_id: string | null }[] = await tx.query(
        `WITH retried AS (
           UPDATE outbound_emails
              SET status = 'pending', enqueued_at = NULL, locked_until = NULL, next_attempt_at = now(), updated_at = now()
            WHERE id = $1 AND status = 'failed'
            RETURNING id, inquiry_id)
         SELECT id, inquiry_id FROM retried`,
        [id],
      );
      if (!updated.length) {
        const [exists] = await tx.query(`SELECT status FROM outbound_emails WHERE id = $1`, [id]);
        if (!exists) throw new NotFound('No email has this id');
        throw new Conflict(`Only a failed email can be retried; this one is ${exists.status}`);
      }
      await this.audit.record(tx, {
        inquiryId: updated[0].inquiry_id, actor, action: 'email.retried',
        changes: { emailId: { from: id, to: id }, status: { from: 'failed', to: 'pending' } },
      });
      const [row]: EmailRow[] = await tx.query(`${SELECT} WHERE e.id = $1`, [id]);
      return toView(row);
    }).finally(() => this.signal.poke()); // committed (or not): the relay looks, as for a new row
  }
}
