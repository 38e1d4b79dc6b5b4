import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { NotFound, Unprocessable } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { replyAddress } from '../../inbound/reply-address.js';
import type { InquiryStatus } from '../../inquiries/inquiry.entity.js';
import { OutboxService } from '../../mail/outbox.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { inquiryKey, lockInquiry } from './inbox.service.js';
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

/** Internal notes (never emailed) and staff replies (emailed through the outbox, threaded). */
@Injectable()
export class InboxConversationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async addNote(idOrReference: string, body: string, actor: StaffPrincipal): Promise<NoteView> {
    return this.db.transaction(async (tx) => {
      const inquiryId = await findInquiryId(tx, idOrReference);
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
  async reply(idOrReference: string, body: string, actor: StaffPrincipal): Promise<ReplyAccepted> {
    return (await this.sendReply(idOrReference, body, actor)).accepted;
  }

  /** `reply`, also answering where it went (the page's notice "Reply sent to <email>"). */
  async sendReply(idOrReference: string, body: string, actor: StaffPrincipal): Promise<{ accepted: ReplyAccepted; recipient: string }> {
    return this.db.transaction(async (tx) => {
      const inquiry = await lockInquiry(tx, idOrReference);
      if (!canReply(inquiry.status)) {
        throw new Unprocessable(`A reply can only be sent to a new, open or waiting inquiry; this one is ${inquiry.status}`);
      }
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

async function findInquiryId(tx: EntityManager, idOrReference: string): Promise<string> {
  const key = inquiryKey(idOrReference);
  const [row] = await tx.query(`SELECT id FROM inquiries WHERE ${key.column} = $1`, [key.value]);
  if (!row) throw new NotFound('No inquiry has this id or reference');
  return row.id;
}

/** Message-IDs as headers carry them: `<id@domain>`. */
function bracketed(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return `<${bare}>`;
}
