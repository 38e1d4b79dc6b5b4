import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { stringify } from 'csv-stringify';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { InvalidInput } from '../../common/errors.js';
import { ukDate } from '../../inquiries/working-days.js';
import { InboxFilterDto, InboxListQueryDto, isDateOnly, isUuid } from './inbox.dto.js';
import { InboxItem, InboxPage, InboxStats } from './inbox-views.js';

const DEFAULT_LIMIT = 25;
const EXPORT_BATCH = 500;
const REFERENCE = /^POL-[0-9A-HJKMNP-TV-Z]{6}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** created_at to the microsecond, in UTC: the cursor must not lose precision, or paging would skip or repeat. */
const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/** Where a page starts: just after (created_at, id) of the last row of the previous page. */
interface Position {
  at: string;
  id: string;
}

interface ItemRow {
  id: string;
  reference: string;
  name: string;
  email: string;
  organisation: string | null;
  enquirer_type: string;
  topic_key: string;
  subject: string;
  status: string;
  priority: string;
  assignee_id: string | null;
  assignee_name: string | null;
  tags: string[];
  expected_response_by: string;
  overdue: boolean;
  created_at: Date;
  updated_at: Date;
  first_response_at: Date | null;
  resolved_at: Date | null;
  cursor_at: string;
}

export function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify([p.at, p.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string'
      && CURSOR_AT.test(value[0]) && isUuid(value[1]) && isRealInstant(value[0])) {
      return { at: value[0], id: value[1] };
    }
  } catch {
    // fall through: not a cursor this service made
  }
  throw new InvalidInput([{ field: 'cursor', message: 'cursor must be the nextCursor of a previous page' }]);
}

/** Rejects what PostgreSQL would refuse (30 February, hour 25) instead of letting it fail the query. */
function isRealInstant(at: string): boolean {
  const ms = Date.parse(`${at}Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 23) === at.slice(0, 23);
}

/** Formula injection: a spreadsheet runs a cell that starts with one of these, so such cells are quoted as text. */
export function safeCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * The inbox list, its CSV export and its stats. One filter builder for all three; keyset pagination on
 * (created_at DESC, id DESC), which the indexes of migration InboxSearch follow, so a page costs the same at any depth.
 */
@Injectable()
export class InboxListService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(query: InboxListQueryDto, staff: StaffPrincipal): Promise<InboxPage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.page(query, staff, after, limit + 1);
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toItem),
      nextCursor: more && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
    };
  }

  /** Streams every matching inquiry as CSV in keyset batches, so memory stays flat however many there are. */
  async exportCsv(filters: InboxFilterDto, staff: StaffPrincipal, out: Writable): Promise<void> {
    const csv = stringify({
      header: true,
      columns: [
        'reference', 'createdAt', 'status', 'priority', 'topic', 'enquirerType', 'name', 'email', 'organisation',
        'subject', 'assignee', 'tags', 'expectedResponseBy', 'overdue', 'firstResponseAt', 'resolvedAt', 'updatedAt', 'id',
      ],
    });
    csv.pipe(out);
    let closed = false;
    out.once('close', () => (closed = true));
    let after: Position | undefined;
    try {
      for (;;) {
        const rows = await this.page(filters, staff, after, EXPORT_BATCH);
        for (const r of rows) {
          const ok = csv.write([
            r.reference, iso(r.created_at), r.status, r.priority, r.topic_key, r.enquirer_type, safeCell(r.name),
            safeCell(r.email), safeCell(r.organisation), safeCell(r.subject), safeCell(r.assignee_name),
            safeCell(r.tags.join('; ')), r.expected_response_by, String(r.overdue), isoOrEmpty(r.first_response_at),
            isoOrEmpty(r.resolved_at), iso(r.updated_at), r.id,
          ]);
          if (!ok) await Promise.race([once(csv, 'drain'), once(out, 'close')]);
          if (closed) break;
        }
        if (closed || rows.length < EXPORT_BATCH) break;
        const last = rows[rows.length - 1];
        after = { at: last.cursor_at, id: last.id };
      }
    } catch (err) {
      csv.unpipe(out);
      csv.destroy();
      // Once part of the CSV is out, the answer cannot become an error page: cut it off so the client sees it fail.
      if ((out as Writable & { headersSent?: boolean }).headersSent) out.destroy();
      throw err;
    }
    csv.end();
  }

  async stats(): Promise<InboxStats> {
    const today = ukDate(new Date());
    const [byStatus, byTopic, [overdue], [median]] = await Promise.all([
      this.db.query(`SELECT status, count(*)::int AS n FROM inquiries GROUP BY status`) as Promise<{ status: string; n: number }[]>,
      this.db.query(`
        SELECT t.key, (SELECT count(*) FROM inquiries i WHERE i.topic_key = t.key AND i.status <> 'spam')::int AS n
        FROM topics t ORDER BY t.sort_order, t.key`) as Promise<{ key: string; n: number }[]>,
      this.db.query(`
        SELECT count(*)::int AS n FROM inquiries
        WHERE status NOT IN ('resolved', 'spam') AND expected_response_by < $1::date`, [today]) as Promise<{ n: number }[]>,
      this.db.query(`
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at)) / 3600 AS hours
        FROM inquiries WHERE first_response_at IS NOT NULL`) as Promise<{ hours: number | null }[]>,
    ]);
    const statusCounts: Record<string, number> = { new: 0, open: 0, waiting: 0, resolved: 0, spam: 0 };
    for (const r of byStatus) statusCounts[r.status] = r.n;
    return {
      byStatus: statusCounts,
      byTopic: Object.fromEntries(byTopic.map((r) => [r.key, r.n])),
      overdue: overdue.n,
      medianFirstResponseHours: median.hours === null ? null : Math.round(Number(median.hours) * 100) / 100,
    };
  }

  private async page(filters: InboxFilterDto, staff: StaffPrincipal, after: Position | undefined, limit: number): Promise<ItemRow[]> {
    const params: unknown[] = [ukDate(new Date())];
    const where = whereClauses(filters, staff, params);
    if (after) {
      params.push(`${after.at}Z`, after.id);
      where.push(`(i.created_at, i.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    return this.db.query(
      `SELECT i.id, i.reference, i.name, i.email, i.organisation, i.enquirer_type, i.topic_key, i.subject, i.status,
              i.priority, i.assignee_id, s.name AS assignee_name, i.tags,
              to_char(i.expected_response_by, 'YYYY-MM-DD') AS expected_response_by,
              (i.expected_response_by < $1::date AND i.status NOT IN ('resolved', 'spam')) AS overdue,
              i.created_at, i.updated_at, i.first_response_at, i.resolved_at,
              to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS cursor_at
       FROM inquiries i LEFT JOIN staff s ON s.id = i.assignee_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY i.created_at DESC, i.id DESC
       LIMIT $${params.length}`,
      params,
    );
  }
}

/** SQL conditions for the filters; `params[0]` is today's UK date. Values always travel as parameters. */
function whereClauses(f: InboxFilterDto, staff: StaffPrincipal, params: unknown[]): string[] {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (f.status) where.push(`i.status = ${p(f.status)}`);
  if (f.topic) where.push(`i.topic_key = ${p(f.topic)}`);
  if (f.priority) where.push(`i.priority = ${p(f.priority)}`);
  if (f.assignee === 'none') where.push(`i.assignee_id IS NULL`);
  else if (f.assignee) where.push(`i.assignee_id = ${p(f.assignee === 'me' ? staff.id : f.assignee.toLowerCase())}::uuid`);
  if (f.overdue === 'true') where.push(`i.status NOT IN ('resolved', 'spam') AND i.expected_response_by < $1::date`);
  if (f.overdue === 'false') where.push(`NOT (i.status NOT IN ('resolved', 'spam') AND i.expected_response_by < $1::date)`);
  if (f.createdFrom) where.push(`i.created_at >= ${instant(f.createdFrom, p, 0)}`);
  if (f.createdTo) {
    // A date-only upper bound includes that whole day: everything before the next UK midnight.
    where.push(isDateOnly(f.createdTo) ? `i.created_at < ${instant(f.createdTo, p, 1)}` : `i.created_at <= ${instant(f.createdTo, p, 0)}`);
  }
  if (f.q !== undefined) {
    const q = f.q.trim();
    const alternatives = [`i.search @@ websearch_to_tsquery('simple', ${p(f.q)})`];
    if (REFERENCE.test(q)) alternatives.push(`i.reference = ${p(q.toUpperCase())}`);
    if (EMAIL.test(q)) alternatives.push(`lower(i.email) = ${p(q.toLowerCase())}`);
    where.push(alternatives.length > 1 ? `(${alternatives.join(' OR ')})` : alternatives[0]);
  }
  return where;
}

/** An ISO date (UK midnight, plus `days`) or date-time (UK time when it names no offset) as a timestamptz expression. */
function instant(value: string, p: (v: unknown) => string, days: number): string {
  if (isDateOnly(value)) return `((${p(value)}::date + ${days})::timestamp AT TIME ZONE 'Europe/London')`;
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(value)) return `${p(value)}::timestamptz`;
  return `(${p(value)}::timestamp AT TIME ZONE 'Europe/London')`;
}

const iso = (d: Date): string => new Date(d).toISOString();
const isoOrEmpty = (d: Date | null): string => (d ? iso(d) : '');

function toItem(r: ItemRow): InboxItem {
  return {
    id: r.id,
    reference: r.reference,
    name: r.name,
    email: r.email,
    organisation: r.organisation,
    enquirerType: r.enquirer_type,
    topic: r.topic_key,
    subject: r.subject,
    status: r.status,
    priority: r.priority,
    assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
    tags: r.tags,
    expectedResponseBy: r.expected_response_by,
    overdue: r.overdue,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}
