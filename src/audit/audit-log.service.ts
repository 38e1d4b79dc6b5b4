import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource } from 'typeorm';
import { isDateOnly, ukInstantSql } from '../common/dates.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/cursor.js';
import { InvalidInput } from '../common/errors.js';
import { fieldErrors } from '../common/validation.js';
import { AuditLogEntry, AuditLogPage, AuditLogQueryDto } from './audit.dto.js';

const DEFAULT_LIMIT = 25;
const REFERENCE = /^POL-[0-9A-HJKMNP-TV-Z]{6}$/i;

interface Row {
  id: string;
  created_at: Date;
  actor_id: string | null;
  actor_email: string | null;
  actor_name: string | null;
  action: string;
  inquiry_id: string | null;
  reference: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  position: string;
}

/** An audit entry as the page shows it: the API's entry plus the inquiry's reference and the actor's name. */
export interface AuditLogPageEntry extends AuditLogEntry {
  reference: string | null;
  actorName: string | null;
}

/** The page's filter form as typed (query strings), before it becomes the API's query. */
export interface AuditLogFilterForm {
  action?: string;
  actorId?: string;
  /** An inquiry's reference, e.g. POL-7K3M9Q: people know references, not ids. */
  inquiry?: string;
  from?: string;
  to?: string;
  cursor?: string;
}

const entry = (r: Row): AuditLogEntry => ({
  id: r.id,
  at: new Date(r.created_at).toISOString(),
  actor: r.actor_id || r.actor_email ? { id: r.actor_id, email: r.actor_email } : null,
  action: r.action,
  inquiryId: r.inquiry_id,
  changes: r.changes ?? {},
});

/**
 * The audit log for admins (SPEC §5): every audited thing, newest first, filtered, keyset-paged on
 * (created_at DESC, id DESC) so a page costs the same at any depth (migration AuditLog's indexes).
 */
@Injectable()
export class AuditLogService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(query: AuditLogQueryDto): Promise<AuditLogPage> {
    const { rows, nextCursor } = await this.page(query);
    return { items: rows.map(entry), nextCursor };
  }

  /** The same page with each entry's inquiry reference and actor name, for the web page. */
  async listForPage(query: AuditLogQueryDto): Promise<{ items: AuditLogPageEntry[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await this.page(query);
    return { items: rows.map((r) => ({ ...entry(r), reference: r.reference, actorName: r.actor_name })), nextCursor };
  }

  /**
   * The page's filters as the API's query: blanks dropped, the reference looked up, every rule of the API's
   * query checked; InvalidInput names each bad field by the form's name for it.
   */
  async fromForm(form: AuditLogFilterForm): Promise<AuditLogQueryDto> {
    const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
    const plain: Record<string, unknown> = {
      action: text(form.action), actorId: text(form.actorId), from: text(form.from), to: text(form.to), cursor: text(form.cursor),
    };
    const errors = fieldErrors(await validate(plainToInstance(AuditLogQueryDto, plain), { skipMissingProperties: false }));
    const reference = text(form.inquiry);
    if (reference && !REFERENCE.test(reference)) {
      errors.push({ field: 'inquiry', message: 'inquiry must be a reference like POL-7K3M9Q' });
    } else if (reference) {
      const [found]: { id: string }[] = await this.db.query(`SELECT id FROM inquiries WHERE reference = $1`, [reference.toUpperCase()]);
      if (found) plain.inquiryId = found.id;
      else errors.push({ field: 'inquiry', message: `No inquiry has the reference ${reference.toUpperCase()}` });
    }
    if (errors.length) throw new InvalidInput(errors);
    return plainToInstance(AuditLogQueryDto, plain);
  }

  /** Every staff account, for the "Person" filter. */
  async people(): Promise<{ id: string; name: string; email: string }[]> {
    return this.db.query(`SELECT id, name, email FROM staff ORDER BY lower(name), lower(email), id`);
  }

  private async page(query: AuditLogQueryDto): Promise<{ rows: Row[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const params: unknown[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = [];
    // COLLATE "C": byte order, so a prefix is a range of the (action COLLATE "C", …) index whatever the database's collation.
    if (query.action?.endsWith('.')) where.push(`a.action COLLATE "C" LIKE ${p(`${query.action}%`)}`);
    else if (query.action) where.push(`a.action COLLATE "C" = ${p(query.action)}`);
    if (query.actorId) where.push(`a.actor_id = ${p(query.actorId.toLowerCase())}::uuid`);
    if (query.inquiryId) where.push(`a.inquiry_id = ${p(query.inquiryId.toLowerCase())}::uuid`);
    if (query.from) where.push(`a.created_at >= ${ukInstantSql(query.from, p, 0)}`);
    if (query.to) {
      // A date-only upper bound includes that whole day: everything before the next UK midnight.
      where.push(isDateOnly(query.to) ? `a.created_at < ${ukInstantSql(query.to, p, 1)}` : `a.created_at <= ${ukInstantSql(query.to, p, 0)}`);
    }
    if (query.cursor) {
      const [position, id] = decodeKeysetCursor(query.cursor);
      where.push(`(a.created_at, a.id) < (${p(position)}::timestamptz, ${p(id)}::uuid)`);
    }
    const rows: Row[] = await this.db.query(
      `SELECT a.id, a.created_at, a.actor_id, a.actor_email, s.name AS actor_name, a.action, a.inquiry_id, i.reference,
              a.changes, a.created_at::text AS position
         FROM audit_events a
         LEFT JOIN staff s ON s.id = a.actor_id
         LEFT JOIN inquiries i ON i.id = a.inquiry_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT ${p(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, nextCursor: rows.length > limit && last ? encodeKeysetCursor(last.position, last.id) : null };
  }
}
