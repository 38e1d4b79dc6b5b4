import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { stringify } from 'csv-stringify';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { FieldError, InvalidInput } from '../../common/errors.js';
import { fieldErrors } from '../../common/validation.js';
import { ukDate } from '../../inquiries/working-days.js';
import {
  INBOX_VIEWS, InboxFilterDto, InboxListQueryDto, InboxPageQueryDto, InboxSort, InboxView, isUuid,
} from './inbox.dto.js';
import { InboxItem, InboxPage, InboxStats } from './inbox-views.js';
import { isDateOnly, ukInstantSql } from '../../common/dates.js';

const DEFAULT_LIMIT = 25;
const EXPORT_BATCH = 500;
/** The page counts the rows of a filtered list up to here and then says "more than"; an exact count could read them all. */
const MATCHING_CAP = 1000;
const FINISHED_COUNTS_TTL_MS = 60_000;
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
  snoozed_until: Date | null;
  cursor_at: string;
}

/** A newest-first cursor is [at, id], as the API has always made them; an oldest-first one says so: [at, id, 'oldest']. */
export function encodeCursor(p: Position, sort: InboxSort = 'newest'): string {
  return Buffer.from(JSON.stringify(sort === 'newest' ? [p.at, p.id] : [p.at, p.id, sort])).toString('base64url');
}

/** A cursor is only good for the order it was made in: a newest-first one would page an oldest-first list backwards. */
export function decodeCursor(cursor: string, sort: InboxSort = 'newest'): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === (sort === 'newest' ? 2 : 3) && (sort === 'newest' || value[2] === sort)
      && typeof value[0] === 'string' && typeof value[1] === 'string'
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

/** What a view adds to the filters of §5; `unfinished` (new, open or waiting) is the page's own, never an API parameter. */
type ListFilter = InboxFilterDto & { unfinished?: boolean; snoozed?: boolean };

/**
 * The working views leave out snoozed inquiries (SPEC §9); the Snoozed view holds them until they wake. EXPLAIN
 * ANALYZE at 300,000 rows (6,000 unfinished, 300 snoozed): each working view still reads its existing index
 * (inquiries_unfinished_created_idx or inquiries_status_created_idx) with `snoozed_until IS NULL` as a filter on the
 * rows it visits anyway (0.05 ms for a page); Snoozed reads the partial inquiries_snoozed_idx and sorts (0.2 ms).
 */
const VIEW_FILTERS: Record<InboxView, ListFilter> = {
  unassigned: { unfinished: true, assignee: 'none', snoozed: false },
  mine: { unfinished: true, assignee: 'me', snoozed: false },
  open: { unfinished: true, snoozed: false },
  overdue: { overdue: 'true', snoozed: false },
  waiting: { status: 'waiting', snoozed: false },
  snoozed: { unfinished: true, snoozed: true },
  resolved: { status: 'resolved' },
  spam: { status: 'spam' },
};

/** How a list is drawn besides its filters: the page's view and order. The API uses neither (all, newest first). */
interface ListShape {
  view?: InboxView;
  sort?: InboxSort;
}

/** The number of inquiries in each view of the inbox page. */
export interface InboxCounts {
  unassigned: number;
  mine: number;
  open: number;
  overdue: number;
  waiting: number;
  snoozed: number;
  resolved: number;
  spam: number;
}

type FinishedCounts = Pick<InboxCounts, 'resolved' | 'spam'>;
type WorkingCounts = Pick<InboxCounts, 'unassigned' | 'mine' | 'open' | 'overdue' | 'waiting'>;

export interface TopicChoice {
  key: string;
  label: string;
  active: boolean;
}

export interface StaffChoice {
  id: string;
  name: string;
  active: boolean;
}

/** Everything the inbox page shows for one query string, or (list null) why the list cannot be shown. */
export interface InboxPageData {
  /** The query as validated; null when some parameter is not right (then `errors` says which). */
  query: InboxPageQueryDto | null;
  /** The parameters as they were sent (text only), to show back in the forms. */
  sent: Record<string, string>;
  errors: FieldError[];
  view: InboxView | null;
  sort: InboxSort;
  counts: InboxCounts;
  topics: TopicChoice[];
  staff: StaffChoice[];
  list: {
    items: InboxItem[];
    /** When each snoozed inquiry on the page wakes (ISO), by id. */
    snoozedUntil: Record<string, string>;
    nextCursor: string | null;
    /** How many inquiries the list holds: exact, or at least `n` when `more`. */
    total: { n: number; more: boolean };
  } | null;
}

const FILTER_NAMES = ['status', 'topic', 'assignee', 'priority', 'overdue', 'q', 'createdFrom', 'createdTo'] as const;

/** Whether any filter of §5 narrows the list (the view alone does not). */
export const isFiltered = (q: InboxFilterDto): boolean => FILTER_NAMES.some((name) => q[name] !== undefined);

/**
 * The inbox list, its CSV export and its stats, and the inbox page's views and counts. One filter builder for all;
 * keyset pagination on (created_at DESC, id DESC), or ASC for the page's oldest first, which the indexes of migration
 * InboxSearch follow (read backwards for ASC), so a page costs the same at any depth.
 */
@Injectable()
export class InboxListService {
  /**
   * Resolved and spam are nearly every inquiry (about 950,000 of a million), so counting them on each page view would
   * take far longer than the whole page may (SPEC §7: 50 ms). They move only when someone resolves an inquiry or marks
   * it spam, so each process keeps the two counts for up to 60 s and forgets them at once when it changes a status
   * itself (invalidateCounts); a change made by another process shows within the minute. The working views are
   * counted fresh on every view: they read only index entries of the unfinished inquiries (see counts).
   */
  private finished?: { at: number; value: FinishedCounts };
  private finishedLoad?: { generation: number; value: Promise<FinishedCounts> };
  private generation = 0;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Call after changing an inquiry's status (or anything that moves it between views): the next counts are fresh. */
  invalidateCounts(): void {
    this.generation++;
    this.finished = undefined;
  }

  /** The inbox page's query string, validated: blanks (a form's "Any …") are no filter, unknown names are ignored. */
  parsePageQuery(raw: Record<string, unknown>): InboxPageQueryDto {
    const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined));
    const query = plainToInstance(InboxPageQueryDto, given);
    const errors = validateSync(query, { whitelist: true, forbidUnknownValues: true, validationError: { target: false, value: true } });
    if (errors.length) throw new InvalidInput(fieldErrors(errors));
    if (query.cursor) decodeCursor(query.cursor, query.sort);
    return query;
  }

  /** The inbox page (SPEC §8): the view's list with its filters and order, the views' counts, the filters' choices. */
  async inboxPage(raw: Record<string, unknown>, staff: StaffPrincipal): Promise<InboxPageData> {
    const sent = Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string'));
    let query: InboxPageQueryDto | null = null;
    let errors: FieldError[] = [];
    try {
      query = this.parsePageQuery(raw);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      errors = err.errors;
    }
    // With a bad parameter the view is still the one asked for, when that one is right.
    const view = query ? (query.view ?? 'open') : sent.view === undefined || sent.view === '' ? 'open'
      : (INBOX_VIEWS as readonly string[]).includes(sent.view) ? sent.view as InboxView : null;
    const sort = query?.sort ?? (sent.sort === 'oldest' ? 'oldest' : 'newest');
    const assigneeId = query?.assignee && isUuid(query.assignee) ? query.assignee : null;
    const [counts, choices, list] = await Promise.all([
      this.counts(staff),
      this.choices(assigneeId),
      query && view ? this.viewList(query, staff, view, sort) : null,
    ]);
    return {
      query, sent, errors, view, sort, counts, ...choices,
      // Unfiltered, the list is the whole view, whose count is already there.
      list: list && view ? { ...list, total: list.total ?? { n: counts[view], more: false } } : null,
    };
  }

  /**
   * How many inquiries each view holds. The working views are counted in one statement over the unfinished inquiries
   * (about 20,000 of a million), read from indexes alone: the heap rows lie scattered over the whole table, and
   * visiting them cost over 100 ms at a million. inquiries_status_created_idx holds status and assignee (unassigned,
   * mine, all open, waiting); the partial inquiries_unfinished_created_idx holds the reply-by date (overdue).
   */
  async counts(staff: StaffPrincipal): Promise<InboxCounts> {
    const [[working], [snoozed], finished] = await Promise.all([
      this.db.query(`
        SELECT count(*) FILTER (WHERE assignee_id IS NULL)::int AS unassigned,
               count(*) FILTER (WHERE assignee_id = $2::uuid)::int AS mine,
               count(*)::int AS open,
               count(*) FILTER (WHERE status = 'waiting')::int AS waiting,
               (SELECT count(*) FROM inquiries WHERE status NOT IN ('resolved', 'spam') AND expected_response_by < $1::date)::int AS overdue
        FROM inquiries WHERE status IN ('new', 'open', 'waiting')`, [ukDate(new Date()), staff.id]) as Promise<WorkingCounts[]>,
      // The snoozed ones are taken off the working views' counts, read from the small partial inquiries_snoozed_idx
      // alone (it holds status, assignee and date), so the statement above keeps its index-only scans.
      this.db.query(`
        SELECT count(*) FILTER (WHERE assignee_id IS NULL)::int AS unassigned,
               count(*) FILTER (WHERE assignee_id = $2::uuid)::int AS mine,
               count(*)::int AS open,
               count(*) FILTER (WHERE status = 'waiting')::int AS waiting,
               count(*) FILTER (WHERE expected_response_by < $1::date)::int AS overdue
        FROM inquiries WHERE snoozed_until IS NOT NULL AND status IN ('new', 'open', 'waiting')`,
      [ukDate(new Date()), staff.id]) as Promise<WorkingCounts[]>,
      this.finishedCounts(),
    ]);
    return {
      unassigned: working.unassigned - snoozed.unassigned,
      mine: working.mine - snoozed.mine,
      open: working.open - snoozed.open,
      overdue: working.overdue - snoozed.overdue,
      waiting: working.waiting - snoozed.waiting,
      snoozed: snoozed.open,
      ...finished,
    };
  }

  private finishedCounts(): Promise<FinishedCounts> {
    if (this.finished && Date.now() - this.finished.at < FINISHED_COUNTS_TTL_MS) return Promise.resolve(this.finished.value);
    // One count at a time per process; a count started before an invalidation is not reused after it.
    if (this.finishedLoad?.generation === this.generation) return this.finishedLoad.value;
    const generation = this.generation;
    const at = Date.now();
    const value = (this.db.query(`
      SELECT count(*) FILTER (WHERE status = 'resolved')::int AS resolved, count(*) FILTER (WHERE status = 'spam')::int AS spam
      FROM inquiries WHERE status IN ('resolved', 'spam')`) as Promise<FinishedCounts[]>)
      .then(([row]) => {
        if (generation === this.generation) this.finished = { at, value: row };
        return row;
      })
      .finally(() => {
        if (this.finishedLoad?.value === value) this.finishedLoad = undefined;
      });
    this.finishedLoad = { generation, value };
    return value;
  }

  /** The topics (labels, for the list and the filter) and the staff one can filter by: the active ones, and the one asked for. */
  private async choices(assigneeId: string | null): Promise<{ topics: TopicChoice[]; staff: StaffChoice[] }> {
    const [row] = await this.db.query(`
      SELECT (SELECT coalesce(json_agg(json_build_object('key', key, 'label', label, 'active', active) ORDER BY sort_order, label), '[]')
                FROM topics) AS topics,
             (SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'active', active) ORDER BY name, email), '[]')
                FROM staff WHERE active OR id = $1::uuid) AS staff`, [assigneeId]) as { topics: TopicChoice[]; staff: StaffChoice[] }[];
    return row;
  }

  private async viewList(query: InboxPageQueryDto, staff: StaffPrincipal, view: InboxView, sort: InboxSort) {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const after = query.cursor ? decodeCursor(query.cursor, sort) : undefined;
    const [rows, total] = await Promise.all([
      this.page(query, staff, after, limit + 1, { view, sort }),
      isFiltered(query) ? this.countMatching(query, staff, view) : null,
    ]);
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toItem),
      snoozedUntil: Object.fromEntries(items.filter((r) => r.snoozed_until).map((r) => [r.id, iso(r.snoozed_until!)])),
      nextCursor: more && last ? encodeCursor({ at: last.cursor_at, id: last.id }, sort) : null,
      total,
    };
  }

  /** How many inquiries a filtered list holds, counted up to MATCHING_CAP. */
  private async countMatching(filters: InboxFilterDto, staff: StaffPrincipal, view: InboxView): Promise<{ n: number; more: boolean }> {
    const params: unknown[] = [ukDate(new Date())];
    const where = [...whereClauses(filters, staff, params), ...whereClauses(VIEW_FILTERS[view], staff, params)];
    params.push(MATCHING_CAP + 1);
    // $1 (today) is named in the select list so that it has a type when no overdue condition uses it.
    const [{ n }] = await this.db.query(
      `SELECT count(*)::int AS n FROM (SELECT $1::date FROM inquiries i WHERE ${where.join(' AND ')} LIMIT $${params.length}) m`, params,
    ) as { n: number }[];
    return n > MATCHING_CAP ? { n: MATCHING_CAP, more: true } : { n, more: false };
  }

  /**
   * The ids of every inquiry matching the filters (and the page's view, when given), newest first, up to `max`:
   * the selection of a bulk change by filter ("Select all N matching").
   */
  async matchingIds(filters: InboxFilterDto & ListShape, staff: StaffPrincipal, max: number): Promise<string[]> {
    const params: unknown[] = [ukDate(new Date())];
    const where = whereClauses(filters, staff, params);
    if (filters.view) where.push(...whereClauses(VIEW_FILTERS[filters.view], staff, params));
    params.push(max);
    const rows: { id: string }[] = await this.db.query(
      `SELECT i.id, $1::date AS today FROM inquiries i ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY i.created_at DESC, i.id DESC LIMIT $${params.length}`, params);
    return rows.map((r) => r.id);
  }

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

  /**
   * Streams every matching inquiry as CSV in keyset batches, so memory stays flat however many there are. The inbox
   * page passes its view and order too (its "Download CSV" is the list on screen); the API passes neither.
   */
  async exportCsv(filters: InboxFilterDto & ListShape, staff: StaffPrincipal, out: Writable): Promise<void> {
    const shape: ListShape = { view: filters.view, sort: filters.sort };
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
        const rows = await this.page(filters, staff, after, EXPORT_BATCH, shape);
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

  private async page(
    filters: InboxFilterDto, staff: StaffPrincipal, after: Position | undefined, limit: number, shape: ListShape = {},
  ): Promise<ItemRow[]> {
    const params: unknown[] = [ukDate(new Date())];
    const where = whereClauses(filters, staff, params);
    if (shape.view) where.push(...whereClauses(VIEW_FILTERS[shape.view], staff, params));
    const oldest = shape.sort === 'oldest';
    if (after) {
      params.push(`${after.at}Z`, after.id);
      where.push(`(i.created_at, i.id) ${oldest ? '>' : '<'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    return this.db.query(
      `SELECT i.id, i.reference, i.name, i.email, i.organisation, i.enquirer_type, i.topic_key, i.subject, i.status,
              i.priority, i.assignee_id, s.name AS assignee_name, i.tags,
              to_char(i.expected_response_by, 'YYYY-MM-DD') AS expected_response_by,
              (i.expected_response_by < $1::date AND i.status NOT IN ('resolved', 'spam')) AS overdue,
              i.created_at, i.updated_at, i.first_response_at, i.resolved_at, i.snoozed_until,
              to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS cursor_at
       FROM inquiries i LEFT JOIN staff s ON s.id = i.assignee_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ${oldest ? 'i.created_at ASC, i.id ASC' : 'i.created_at DESC, i.id DESC'}
       LIMIT $${params.length}`,
      params,
    );
  }
}

/** SQL conditions for the filters; `params[0]` is today's UK date. Values always travel as parameters. */
function whereClauses(f: ListFilter, staff: StaffPrincipal, params: unknown[]): string[] {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  // Spelt as a list, not as NOT IN ('resolved', 'spam'): PostgreSQL still proves the partial index
  // inquiries_unfinished_created_idx usable (newest unfinished first), and can also scan inquiries_status_created_idx,
  // which holds topic, priority and assignee, when a filter makes reading the unfinished rows one by one too dear.
  if (f.unfinished) where.push(`i.status IN ('new', 'open', 'waiting')`);
  if (f.status) where.push(`i.status = ${p(f.status)}`);
  if (f.snoozed === false) where.push(`i.snoozed_until IS NULL`);
  if (f.snoozed === true) where.push(`i.snoozed_until IS NOT NULL`);
  if (f.topic) where.push(`i.topic_key = ${p(f.topic)}`);
  if (f.priority) where.push(`i.priority = ${p(f.priority)}`);
  if (f.assignee === 'none') where.push(`i.assignee_id IS NULL`);
  else if (f.assignee) where.push(`i.assignee_id = ${p(f.assignee === 'me' ? staff.id : f.assignee.toLowerCase())}::uuid`);
  if (f.overdue === 'true') where.push(`i.status NOT IN ('resolved', 'spam') AND i.expected_response_by < $1::date`);
  if (f.overdue === 'false') where.push(`NOT (i.status NOT IN ('resolved', 'spam') AND i.expected_response_by < $1::date)`);
  if (f.createdFrom) where.push(`i.created_at >= ${ukInstantSql(f.createdFrom, p, 0)}`);
  if (f.createdTo) {
    // A date-only upper bound includes that whole day: everything before the next UK midnight.
    where.push(isDateOnly(f.createdTo) ? `i.created_at < ${ukInstantSql(f.createdTo, p, 1)}` : `i.created_at <= ${ukInstantSql(f.createdTo, p, 0)}`);
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
