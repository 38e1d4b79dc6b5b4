import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { Conflict, InvalidInput, InvalidTransition, NotFound } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import type { InquiryStatus } from '../../inquiries/inquiry.entity.js';
import { REFERENCE_PATTERN } from '../../inquiries/reference.js';
import { ukDate } from '../../inquiries/working-days.js';
import { OutboxService } from '../../mail/outbox.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { isUuid, UpdateInquiryDto } from './inbox.dto.js';
import { AuditEventView, ConversationEntry, EmailView, InquiryDetail, NoteView } from './inbox-views.js';

/** The workflow of SPEC §5: the only status changes a person may make. */
export const TRANSITIONS: Record<InquiryStatus, InquiryStatus[]> = {
  new: ['open', 'resolved', 'spam'],
  open: ['waiting', 'resolved', 'spam'],
  waiting: ['open', 'resolved', 'spam'],
  resolved: ['open'],
  spam: ['new'],
};

/** A triage change without its version: PATCH's fields, or a bulk change's (which adds one tag instead of setting them). */
export type TriageChanges = Omit<UpdateInquiryDto, 'version'> & { addTag?: string };

/** The columns of an inquiry that triage and replies read, locked for the rest of the transaction. */
export interface LockedInquiry {
  id: string;
  reference: string;
  email: string;
  subject: string;
  status: InquiryStatus;
  priority: string;
  assignee_id: string | null;
  topic_key: string;
  tags: string[];
  version: number;
  first_response_at: Date | null;
}

/** `:id` is a uuid or a reference (any case); anything else is simply not found, never a database error. */
export function inquiryKey(idOrReference: string): { column: 'id' | 'reference'; value: string } {
  if (isUuid(idOrReference)) return { column: 'id', value: idOrReference.toLowerCase() };
  const reference = idOrReference.toUpperCase();
  if (REFERENCE_PATTERN.test(reference)) return { column: 'reference', value: reference };
  throw new NotFound('No inquiry has this id or reference');
}

/** Reads and locks the inquiry inside `tx`, or answers 404. */
export async function lockInquiry(tx: EntityManager, idOrReference: string): Promise<LockedInquiry> {
  const key = inquiryKey(idOrReference);
  const [row]: LockedInquiry[] = await tx.query(
    `SELECT id, reference, email, subject, status, priority, assignee_id, topic_key, tags, version, first_response_at
     FROM inquiries WHERE ${key.column} = $1 FOR UPDATE`,
    [key.value],
  );
  if (!row) throw new NotFound('No inquiry has this id or reference');
  return row;
}

const iso = (d: Date | string): string => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null): string | null => (d ? iso(d) : null);
const staffRef = (id: string | null, name: string | null) => (id ? { id, name: name ?? '' } : null);
const auditEvent = (r: Record<string, any>): AuditEventView => ({
  at: iso(r.created_at),
  actor: r.actor_id || r.actor_email ? { id: r.actor_id, email: r.actor_email } : null,
  action: r.action,
  changes: r.changes,
});

/** A staff member or topic as the inquiry page offers and names them (inactive ones only to name). */
export interface StaffChoice { id: string; name: string; active: boolean }
export interface TopicChoice { key: string; label: string; active: boolean }

/** An audit entry with the name of who made it, for the page's history ("Sam Okafor changed …"). */
export interface HistoryEntry extends AuditEventView { actorName: string | null }

/** One inquiry: its detail, triage changes (status, priority, assignee, topic, tags) and its audit trail. */
@Injectable()
export class InboxService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async detail(idOrReference: string): Promise<InquiryDetail> {
    const key = inquiryKey(idOrReference);
    const [row] = await this.db.query(
      `SELECT i.*, s.name AS assignee_name, to_char(i.expected_response_by, 'YYYY-MM-DD') AS expected_response_date,
              (i.expected_response_by < $2::date AND i.status NOT IN ('resolved', 'spam')) AS overdue
       FROM inquiries i LEFT JOIN staff s ON s.id = i.assignee_id WHERE i.${key.column} = $1`,
      [key.value, ukDate(new Date())],
    );
    if (!row) throw new NotFound('No inquiry has this id or reference');
    const [messages, notes, emails] = await Promise.all([
      this.db.query(
        `SELECT m.id, m.direction, m.body, m.staff_id, s.name AS staff_name, m.outbound_email_id, m.created_at
         FROM conversation_messages m LEFT JOIN staff s ON s.id = m.staff_id
         WHERE m.inquiry_id = $1 ORDER BY m.created_at, m.id`, [row.id]),
      this.db.query(
        `SELECT n.id, n.body, n.staff_id, s.name AS staff_name, n.created_at
         FROM inquiry_notes n LEFT JOIN staff s ON s.id = n.staff_id
         WHERE n.inquiry_id = $1 ORDER BY n.created_at, n.id`, [row.id]),
      this.db.query(
        `SELECT id, kind, recipient, subject, status, attempts, last_error, message_id, sent_at, created_at
         FROM outbound_emails WHERE inquiry_id = $1
         ORDER BY created_at, CASE kind WHEN 'acknowledgement' THEN 0 ELSE 1 END, id`, [row.id]),
    ]);
    const original: ConversationEntry = {
      id: 'original', direction: 'inbound', body: row.message, staff: null, emailId: null, createdAt: iso(row.created_at),
    };
    const detail: InquiryDetail = {
      id: row.id,
      reference: row.reference,
      name: row.name,
      email: row.email,
      organisation: row.organisation,
      enquirerType: row.enquirer_type,
      topic: row.topic_key,
      subject: row.subject,
      status: row.status,
      priority: row.priority,
      assignee: staffRef(row.assignee_id, row.assignee_name),
      tags: row.tags,
      expectedResponseBy: row.expected_response_date,
      overdue: row.overdue,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      message: row.message,
      sourceUrl: row.source_url,
      channel: row.channel,
      spamReason: row.spam_reason,
      firstResponseAt: isoOrNull(row.first_response_at),
      resolvedAt: isoOrNull(row.resolved_at),
      ...(Array.isArray(row.sensitive_flags) ? { sensitiveFlags: row.sensitive_flags as string[] } : {}),
      version: row.version,
      conversation: [
        original,
        ...messages.map((m: Record<string, any>): ConversationEntry => ({
          id: m.id, direction: m.direction, body: m.body, staff: staffRef(m.staff_id, m.staff_name),
          emailId: m.outbound_email_id, createdAt: iso(m.created_at),
        })),
      ],
      notes: notes.map((n: Record<string, any>): NoteView => ({
        id: n.id, body: n.body, author: staffRef(n.staff_id, n.staff_name), createdAt: iso(n.created_at),
      })),
      emails: emails.map((e: Record<string, any>): EmailView => ({
        id: e.id, kind: e.kind, to: e.recipient, subject: e.subject, status: e.status, attempts: e.attempts,
        lastError: e.last_error, messageId: e.message_id, sentAt: isoOrNull(e.sent_at), createdAt: iso(e.created_at),
      })),
    };
    return detail;
  }

  /**
   * Applies a triage change based on `version`: 409 when someone changed the inquiry first, 422 for a status
   * change the workflow forbids. The change, its audit entry and any routing email commit together.
   */
  async update(idOrReference: string, dto: UpdateInquiryDto, actor: StaffPrincipal): Promise<InquiryDetail> {
    const id = await this.db.transaction(async (tx) => {
      const current = await lockInquiry(tx, idOrReference);
      if (current.version !== dto.version) {
        throw new Conflict(`This inquiry was changed by someone else (now version ${current.version}); reload it and try again`);
      }
      await this.applyChanges(tx, current, dto, actor);
      return current.id;
    });
    return this.detail(id);
  }

  /**
   * The rules of a triage change, on an inquiry the caller has locked in `tx` (PATCH and bulk changes both come
   * here): the workflow (422), an active assignee and topic (400), the update with its version bump, the routing
   * email on a topic change and the audit entry. Answers whether anything changed.
   */
  async applyChanges(tx: EntityManager, current: LockedInquiry, dto: TriageChanges, actor: StaffPrincipal): Promise<boolean> {
    const before = {
      status: current.status, priority: current.priority, assigneeId: current.assignee_id, topic: current.topic_key, tags: current.tags,
    };
    const after = {
      status: dto.status ?? before.status,
      priority: dto.priority ?? before.priority,
      assigneeId: dto.assigneeId === undefined ? before.assigneeId : dto.assigneeId && dto.assigneeId.toLowerCase(),
      topic: dto.topic ?? before.topic,
      tags: dto.tags ? [...new Set(dto.tags)] : dto.addTag ? [...new Set([...before.tags, dto.addTag])] : before.tags,
    };
    if (after.status !== before.status && !TRANSITIONS[before.status].includes(after.status)) {
      throw new InvalidTransition(
        `An inquiry cannot go from ${before.status} to ${after.status}; from ${before.status} it can go to ${TRANSITIONS[before.status].join(', ')}`,
      );
    }
    const errors = [];
    if (after.tags.length > 20) errors.push({ field: 'tags', message: 'an inquiry can have up to 20 tags' });
    if (after.assigneeId && after.assigneeId !== before.assigneeId) {
      const [member] = await tx.query(`SELECT 1 FROM staff WHERE id = $1 AND active`, [after.assigneeId]);
      if (!member) errors.push({ field: 'assigneeId', message: 'assigneeId must be an active staff member' });
    }
    let mailbox: string | undefined;
    if (after.topic !== before.topic) {
      const [topic] = await tx.query(`SELECT coalesce(mailbox, $2) AS mailbox FROM topics WHERE key = $1 AND active`, [after.topic, this.config.teamInbox]);
      if (!topic) errors.push({ field: 'topic', message: 'topic must be an active topic key' });
      mailbox = topic?.mailbox;
    }
    if (errors.length) throw new InvalidInput(errors);

    const changes = AuditService.diff(before, after);
    if (!Object.keys(changes).length) return false;
    // A resolved or spam inquiry is no longer snoozed: there is nothing to wake it for.
    const updated = await tx.query(
      `UPDATE inquiries SET status = $3, priority = $4, assignee_id = $5, topic_key = $6, tags = $7::text[],
              resolved_at = CASE WHEN $3 <> 'resolved' THEN NULL WHEN status = 'resolved' THEN resolved_at ELSE now() END,
              snoozed_until = CASE WHEN $3 IN ('resolved', 'spam') THEN NULL ELSE snoozed_until END,
              version = version + 1, updated_at = now()
       WHERE id = $1 AND version = $2 RETURNING version`,
      [current.id, current.version, after.status, after.priority, after.assigneeId, after.topic, after.tags],
    );
    if (!updated[0]?.length) throw new Conflict('This inquiry was changed by someone else; reload it and try again');
    if (mailbox && after.status !== 'spam') {
      await this.outbox.add(tx, [{
        kind: 'routing',
        inquiryId: current.id,
        recipient: mailbox,
        subject: `[${current.reference}] ${current.subject}`,
        replyTo: current.email,
        payload: { reason: 'topic-changed', previousTopic: before.topic, changedBy: actor.name },
      }]);
    }
    await this.audit.record(tx, { inquiryId: current.id, actor, action: 'inquiry.updated', changes });
    return true;
  }

  async auditTrail(idOrReference: string): Promise<AuditEventView[]> {
    const key = inquiryKey(idOrReference);
    const [inquiry] = await this.db.query(`SELECT id FROM inquiries WHERE ${key.column} = $1`, [key.value]);
    if (!inquiry) throw new NotFound('No inquiry has this id or reference');
    const rows = await this.db.query(
      `SELECT created_at, actor_id, actor_email, action, changes FROM audit_events
       WHERE inquiry_id = $1 ORDER BY created_at, id`,
      [inquiry.id],
    );
    return rows.map(auditEvent);
  }

  /**
   * The audit trail with each actor's name, in one query (the inquiry page draws it beside the detail, so it
   * looks the inquiry up by key itself); an unknown inquiry has no history.
   */
  async history(idOrReference: string): Promise<HistoryEntry[]> {
    const key = inquiryKey(idOrReference);
    const rows = await this.db.query(
      `SELECT a.created_at, a.actor_id, a.actor_email, s.name AS actor_name, a.action, a.changes
       FROM audit_events a LEFT JOIN staff s ON s.id = a.actor_id
       WHERE a.inquiry_id = (SELECT id FROM inquiries WHERE ${key.column} = $1)
       ORDER BY a.created_at, a.id`,
      [key.value],
    );
    return rows.map((r: Record<string, any>) => ({ ...auditEvent(r), actorName: r.actor_name ?? null }));
  }

  /** Everyone who can be (or was) assigned and every topic, to offer the active ones and name the rest. */
  async triageChoices(): Promise<{ staff: StaffChoice[]; topics: TopicChoice[] }> {
    const [staff, topics] = await Promise.all([
      this.db.query(`SELECT id, name, active FROM staff ORDER BY lower(name), id`),
      this.db.query(`SELECT key, label, active FROM topics ORDER BY sort_order, label, key`),
    ]);
    return { staff, topics };
  }
}
