import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { StaffPrincipal } from '../auth/staff.entity.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/cursor.js';
import { Conflict, InvalidInput, NotFound } from '../common/errors.js';
import { inquiryKey } from '../admin/inbox/inbox.service.js';
import { InboundAttacher } from './inbound-attacher.js';
import { parseInbound } from './inbound-message.js';
import { PageQuery } from '../common/pagination.js';
import { HoldingPenPage, InboundEmailView } from './inbound.dto.js';
import { InboundQueue } from './inbound.queue.js';

interface InboundRow {
  id: string;
  status: string;
  source: string;
  from_address: string | null;
  subject: string | null;
  message_id: string | null;
  hold_reason: string | null;
  inquiry_id: string | null;
  error: string | null;
  received_at: Date;
  processed_at: Date | null;
  /** received_at to the microsecond, as text, for the cursor. */
  position: string;
}

const COLUMNS = `id, status, source, from_address, subject, message_id, hold_reason, inquiry_id, error, received_at,
                 processed_at, received_at::text AS position`;

const toView = (r: InboundRow): InboundEmailView => ({
  id: r.id, status: r.status, source: r.source, from: r.from_address, subject: r.subject, messageId: r.message_id,
  holdReason: r.hold_reason, inquiryId: r.inquiry_id, error: r.error, receivedAt: r.received_at, processedAt: r.processed_at,
});

/** What admins do with inbound mail: look at the holding pen, attach by hand, reprocess a failed message. */
@Injectable()
export class InboundAdminService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly attacher: InboundAttacher,
    private readonly audit: AuditService,
    private readonly queue: InboundQueue,
  ) {}

  async holdingPen(query: PageQuery): Promise<HoldingPenPage> {
    const limit = query.limit ?? 25;
    const params: unknown[] = [];
    let after = '';
    if (query.cursor) {
      params.push(...decodeKeysetCursor(query.cursor));
      after = `AND (received_at, id) < ($1::timestamptz, $2::uuid)`;
    }
    params.push(limit + 1);
    const rows: (InboundRow & { raw: Buffer })[] = await this.db.query(
      `SELECT ${COLUMNS}, raw FROM inbound_emails WHERE status = 'held' ${after}
       ORDER BY received_at DESC, id DESC LIMIT $${params.length}`, params);
    const page = rows.slice(0, limit);
    const items = await Promise.all(page.map(async (r) => {
      const body = await parseInbound(r.raw).then((m) => m.body, () => '(this message could not be read)');
      return { ...toView(r), body: body.slice(0, 5000) };
    }));
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: rows.length > limit ? encodeKeysetCursor(last.position, last.id) : null,
    };
  }

  /** An admin's decision overrides matching: the message goes on the inquiry they name. */
  async attach(id: string, inquiryId: string, actor: StaffPrincipal): Promise<InboundEmailView> {
    await this.db.transaction(async (tx) => {
      const [row]: { status: string; raw: Buffer }[] = await tx.query(
        `SELECT status, raw FROM inbound_emails WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw new NotFound('No inbound message has this id');
      if (row.status !== 'held') throw new Conflict(`Only a message in the holding pen can be attached; this one is ${row.status}`);
      const [inquiry] = await tx.query(`SELECT id FROM inquiries WHERE id = $1`, [inquiryId]);
      if (!inquiry) throw new InvalidInput([{ field: 'inquiryId', message: 'No inquiry has this id' }]);
      const message = await parseInbound(row.raw);
      await this.attacher.attach(tx, { inboundEmailId: id, inquiryId, body: message.body, actor });
    });
    return this.view(id);
  }

  /**
   * The holding pen page's attach: the admin names the inquiry by its reference (or id), as they read it in the
   * inbox. An unknown one is a field error on `reference`; the rest is attach().
   */
  async attachByReference(id: string, reference: string, actor: StaffPrincipal): Promise<{ message: InboundEmailView; reference: string }> {
    const unknown = () => new InvalidInput([{ field: 'reference', message: 'No inquiry has this reference' }]);
    let key: ReturnType<typeof inquiryKey>;
    try {
      key = inquiryKey(reference.trim());
    } catch {
      throw unknown();
    }
    const [inquiry]: { id: string; reference: string }[] = await this.db.query(
      `SELECT id, reference FROM inquiries WHERE ${key.column} = $1`, [key.value]);
    if (!inquiry) throw unknown();
    try {
      return { message: await this.attach(id, inquiry.id, actor), reference: inquiry.reference };
    } catch (err) {
      // Erased between the look-up and the attach: the same answer as never there.
      if (err instanceof InvalidInput) throw unknown();
      throw err;
    }
  }

  /** Puts a failed (or held) message through processing again; the raw bytes were kept for this. */
  async reprocess(id: string, actor: StaffPrincipal): Promise<InboundEmailView> {
    await this.db.transaction(async (tx) => {
      const [row]: { status: string }[] = await tx.query(`SELECT status FROM inbound_emails WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw new NotFound('No inbound message has this id');
      if (!['failed', 'held', 'received'].includes(row.status)) {
        throw new Conflict(`Only a failed, held or unprocessed message can be reprocessed; this one is ${row.status}`);
      }
      await tx.query(
        `UPDATE inbound_emails SET status = 'received', error = NULL, hold_reason = NULL, enqueued_at = NULL, processed_at = NULL
         WHERE id = $1`, [id]);
      await this.audit.record(tx, { actor, action: 'inbound.reprocessed', changes: { status: { from: row.status, to: 'received' } } });
    });
    this.queue.wake();
    return this.view(id);
  }

  async view(id: string): Promise<InboundEmailView> {
    const [row]: InboundRow[] = await this.db.query(`SELECT ${COLUMNS} FROM inbound_emails WHERE id = $1`, [id]);
    if (!row) throw new NotFound('No inbound message has this id');
    return toView(row);
  }
}
