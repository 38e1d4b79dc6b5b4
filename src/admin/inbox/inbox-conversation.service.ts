import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { Conflict, InvalidInput, Unprocessable } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { replyAddress } from '../../inbound/reply-address.js';
import type { InquiryStatus } from '../../inquiries/inquiry.entity.js';
import { OutboxService } from '../../mail/outbox.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { lockInquiry, type LockedInquiry } from './inbox.service.js';
import { NoteView, ReplyAccepted } from './inbox-views.js';

const REPLYABLE: InquiryStatus[] = ['new', 'open', 'waiting'];

/** Whether §5 lets staff reply to an inquiry in this status (the page says why not instead of a failing button). */
export const canReply = (status: InquiryStatus): boolean => REPLYABLE.includes(status);

/**
 * The Message-IDs of an inquiry's conversation with the enquirer, oldest first, the acknowledgement always first:
 * what a reply's References lists, and whose last entry its In-Reply-To names (SPEC §4).
 */
const THREAD = `
SELECT message_id FROM (
  SELECT e.message_id, e.created_at, CASE e.kind WHEN 'acknowledgement' THEN 0 ELSE 1 END AS rank
  FROM outbound_emails e WHERE e.inquiry_id = $1 AND e.kind IN ('acknowledgement', 'reply')
  UNION ALL
  SELECT ie.message_id, m.created_at, 1
  FROM conversation_messages m JOIN inbound_emails ie ON ie.id = m.inbound_email_id
  WHERE m.inquiry_id = $1 AND m.direction = 'inbound' AND ie.message_id IS NOT NULL
) thread ORDER BY rank, created_at`;

/** A conversation item written after the one its writer had last seen (SPEC §9, "no crossed replies"). */
export interface NewerItem {
  id: string;
  kind: 'inbound' | 'reply' | 'note';
  /** The enquirer's name for their messages, the staff member's for replies and notes; null for a former member. */
  author: string | null;
  createdAt: string;
  /** The first words of the item on one line (up to 100 characters). */
  excerpt: string;
}

/** A reply or note based on a stale view of the conversation: nothing was stored or sent (409). */
export class StaleConversation extends Conflict {
  constructor(readonly newer: NewerItem[]) {
    super(`Nothing was sent: ${newer.length} new conversation item${newer.length === 1 ? '' : 's'} arrived after the one you had seen`);
  }
}

const EXCERPT = 100;
function excerptOf(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length > EXCERPT ? `${chars.slice(0, EXCERPT - 1).join('').trimEnd()}…` : line;
}

/** Every message, reply and note of an inquiry with when it was made: what `seenUpTo` names and is compared with. */
const ITEMS = `
SELECT m.id::text AS id, CASE m.direction WHEN 'inbound' THEN 'inbound' ELSE 'reply' END AS kind,
       CASE m.direction WHEN 'inbound' THEN i.name ELSE s.name END AS author, m.body, m.created_at
FROM conversation_messages m JOIN inquiries i ON i.id = m.inquiry_id LEFT JOIN staff s ON s.id = m.staff_id
WHERE m.inquiry_id = $1
UNION ALL
SELECT n.id::text, 'note', s.name, n.body, n.created_at
FROM inquiry_notes n LEFT JOIN staff s ON s.id = n.staff_id
WHERE n.inquiry_id = $1`;

/**
 * Refuses a reply or note when the conversation has moved on since `seenUpTo` (an item id, or "original" for the
 * question itself): 400 when it names no item of this inquiry, 409 listing the newer items. Called after the
 * inquiry is locked, so two people sending at once cannot both pass: the second sees the first's item.
 */
async function checkSeenUpTo(tx: EntityManager, inquiry: LockedInquiry, seenUpTo: string | undefined): Promise<void> {
  if (seenUpTo === undefined) return;
  // Compared in the database: timestamps there have microseconds, JavaScript dates only milliseconds.
  const seenAt = seenUpTo === 'original'
    ? `(SELECT created_at FROM inquiries WHERE id = $1)`
    : `(SELECT created_at FROM (${ITEMS}) seen WHERE id = $2)`;
  if (seenUpTo !== 'original') {
    const [seen] = await tx.query(`SELECT 1 FROM (${ITEMS}) items WHERE id = $2`, [inquiry.id, seenUpTo.toLowerCase()]);
    if (!seen) throw new InvalidInput([{ field: 'seenUpTo', message: 'seenUpTo must be "original" or the id of a message, reply or note of this inquiry' }]);
  }
  const newer: { id: string; kind: NewerItem['kind']; author: string | null; body: string; created_at: Date }[] = await tx.query(
    `SELECT * FROM (${ITEMS}) items WHERE created_at > ${seenAt} ORDER BY created_at, id`,
    seenUpTo === 'original' ? [inquiry.id] : [inquiry.id, seenUpTo.toLowerCase()],
  );
  if (newer.length) {
    throw new StaleConversation(newer.map((i) => ({
      id: i.id, kind: i.kind, author: i.author, createdAt: new Date(i.created_at).toISOString(), excerpt: excerptOf(i.body),
    })));
  }
}

/** Internal notes (never emailed) and staff replies (emailed through the outbox, threaded). */
@Injectable()
export class InboxConversationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  /** Adds an internal note; with `seenUpTo`, only when nothing newer than that item exists (else 409, nothing stored). */
  async addNote(idOrReference: string, body: string, actor: StaffPrincipal, seenUpTo?: string): Promise<NoteView> {
    return this.db.transaction(async (tx) => {
      const inquiry = await lockInquiry(tx, idOrReference);
      await checkSeenUpTo(tx, inquiry, seenUpTo);
      const inquiryId = inquiry.id;
      const id = randomUUID();
      const [note] = await tx.query(
        `INSERT INTO inquiry_notes (id, inquiry_id, staff_id, body) VALUES ($1, $2, $3, $4) RETURNING created_at`,
        [id, inquiryId, actor.id, body],
      );
      await this.audit.record(tx, { inquiryId, actor, action: 'note.added', changes: { note: { from: null, to: id } } });
      return { id, body, author: { id: actor.id, name: actor.name }, createdAt: new Date(note.created_at).toISOString() };
    });
  }

  /**
   * Stores the reply, queues its email (to the enquirer, threaded under the conversation so far), moves the
   * inquiry to `waiting` and records the first response time: one transaction.
   */
  async reply(idOrReference: string, body: string, actor: StaffPrincipal, seenUpTo?: string): Promise<ReplyAccepted> {
    return (await this.sendReply(idOrReference, body, actor, seenUpTo)).accepted;
  }

  /**
   * `reply`, also answering where it went (the page's notice "Reply sent to <email>"). With `seenUpTo`, only when
   * nothing newer than that item exists (else 409, nothing sent). The sender's draft on the inquiry goes with it.
   */
  async sendReply(
    idOrReference: string, body: string, actor: StaffPrincipal, seenUpTo?: string,
  ): Promise<{ accepted: ReplyAccepted; recipient: string }> {
    return this.db.transaction(async (tx) => {
      const inquiry = await lockInquiry(tx, idOrReference);
      if (!canReply(inquiry.status)) {
        throw new Unprocessable(`A reply can only be sent to a new, open or waiting inquiry; this one is ${inquiry.status}`);
      }
      await checkSeenUpTo(tx, inquiry, seenUpTo);
      const thread: string[] = [...new Set(
        ((await tx.query(THREAD, [inquiry.id])) as { message_id: string }[]).map((r) => bracketed(r.message_id)),
      )];
      const [email] = await this.outbox.add(tx, [{
        kind: 'reply',
        inquiryId: inquiry.id,
        recipient: inquiry.email,
        subject: `Re: ${inquiry.subject} [${inquiry.reference}]`,
        inReplyTo: thread.at(-1) ?? null,
        references: thread,
        // Answers come back signed for this inquiry (SPEC §6a).
        replyTo: replyAddress(inquiry.reference, this.config.appSecret, this.config.mailDomain),
        payload: { body, staffName: actor.name },
      }]);
      const id = randomUUID();
      await tx.query(
        `INSERT INTO conversation_messages (id, inquiry_id, direction, body, staff_id, outbound_email_id)
         VALUES ($1, $2, 'outbound', $3, $4, $5)`,
        [id, inquiry.id, body, actor.id, email.id],
      );
      await tx.query(`DELETE FROM inquiry_drafts WHERE inquiry_id = $1 AND staff_id = $2`, [inquiry.id, actor.id]);
      const [[updated]] = await tx.query(
        `UPDATE inquiries SET status = 'waiting', first_response_at = coalesce(first_response_at, now()),
                version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING version, first_response_at`,
        [inquiry.id],
      );
      await this.audit.record(tx, {
        inquiryId: inquiry.id,
        actor,
        action: 'reply.sent',
        changes: {
          ...AuditService.diff(
            { status: inquiry.status, firstResponseAt: inquiry.first_response_at && new Date(inquiry.first_response_at).toISOString() },
            { status: 'waiting', firstResponseAt: new Date(updated.first_response_at).toISOString() },
          ),
          reply: { from: null, to: email.messageId },
        },
      });
      return {
        accepted: { id, emailId: email.id, messageId: email.messageId, status: 'waiting', version: updated.version },
        recipient: inquiry.email,
      };
    });
  }
}

/** Message-IDs as headers carry them: `<id@domain>`. */
function bracketed(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return `<${bare}>`;
}
