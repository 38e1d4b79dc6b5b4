import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { StaffPrincipal } from '../auth/staff.entity.js';
import { InvalidInput } from '../common/errors.js';
import { RequestRedis } from '../common/redis.js';
import { AppConfig } from '../config/app-config.js';
import { forgetSubmitter } from '../inquiries/submission-limits.js';
import { Anonymiser } from './anonymiser.js';
import { ErasureResult } from './privacy.dto.js';

const ADDRESS = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

/**
 * Subject access and erasure (UK GDPR arts. 15 and 17): everything held about an email address, and its removal.
 * Both are audited without the address itself: the audit trail keeps a keyed hash and counts.
 */
@Injectable()
export class DataSubjectsService {
  private readonly log = new Logger('DataSubjects');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly anonymiser: Anonymiser,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly redis: RequestRedis,
  ) {}

  async export(email: string, actor: StaffPrincipal): Promise<Record<string, unknown>> {
    const address = this.address(email);
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const inquiries: { id: string }[] = await tx.query(
        `SELECT id, reference, name, email, organisation, enquirer_type AS "enquirerType", topic_key AS topic, subject, message,
                source_url AS "sourceUrl", consent, status, priority, tags, channel, sensitive_flags AS "sensitiveFlags",
                to_char(expected_response_by, 'YYYY-MM-DD') AS "expectedResponseBy", first_response_at AS "firstResponseAt",
                resolved_at AS "resolvedAt", created_at AS "createdAt", updated_at AS "updatedAt"
         FROM inquiries WHERE lower(email) = $1 ORDER BY created_at`, [address]);
      const ids = inquiries.map((i) => i.id);
      const conversation = await tx.query(
        `SELECT id, inquiry_id AS "inquiryId", direction, body, created_at AS "createdAt"
         FROM conversation_messages WHERE inquiry_id = ANY($1::uuid[]) ORDER BY created_at`, [ids]);
      const notes = await tx.query(
        `SELECT id, inquiry_id AS "inquiryId", body, created_at AS "createdAt"
         FROM inquiry_notes WHERE inquiry_id = ANY($1::uuid[]) ORDER BY created_at`, [ids]);
      const emails = await tx.query(
        `SELECT id, inquiry_id AS "inquiryId", kind, recipient, subject, message_id AS "messageId", reply_to AS "replyTo",
                payload, status, sent_at AS "sentAt", created_at AS "createdAt"
         FROM outbound_emails WHERE inquiry_id = ANY($1::uuid[]) OR lower(recipient) = $2 ORDER BY created_at`, [ids, address]);
      const inbound: { raw: Buffer }[] = await tx.query(
        `SELECT id, inquiry_id AS "inquiryId", source, message_id AS "messageId", from_address AS "from", subject, status,
                received_at AS "receivedAt", raw
         FROM inbound_emails
         WHERE inquiry_id = ANY($1::uuid[]) OR lower(from_address) = $2 OR position($2 in lower(encode(raw, 'escape'))) > 0
         ORDER BY received_at`, [ids, address]);
      // Reply drafts staff are writing on these inquiries (SPEC §9); who writes them is the charity's, not the subject's.
      const drafts = await tx.query(
        `SELECT inquiry_id AS "inquiryId", body, created_at AS "createdAt", updated_at AS "updatedAt"
         FROM inquiry_drafts WHERE inquiry_id = ANY($1::uuid[]) ORDER BY created_at`, [ids]);
      const audit = await tx.query(
        `SELECT inquiry_id AS "inquiryId", action, changes, created_at AS "at"
         FROM audit_events WHERE inquiry_id = ANY($1::uuid[]) ORDER BY created_at`, [ids]);
      const pageComments = await tx.query(
        `SELECT id, page_url AS "pageUrl", comment, status, created_at AS "createdAt"
         FROM page_comments WHERE position($1 in lower(comment)) > 0 ORDER BY created_at`, [address]);
      await this.audit.record(tx, {
        actor, action: 'data-subject.exported', changes: this.auditChanges(address, ids.length),
      });
      return {
        subject: address,
        exportedAt: new Date().toISOString(),
        inquiries,
        conversation,
        notes,
        drafts,
        emails,
        inboundEmails: inbound.map((m) => ({ ...m, raw: m.raw.toString('utf8') })),
        audit,
        pageComments,
      };
    });
  }

  /** Anonymises everything held about the address (one transaction), then forgets its rate-limit counter. */
  async erase(email: string, actor: StaffPrincipal): Promise<ErasureResult> {
    const address = this.address(email);
    const result = await this.db.transaction(async (tx) => {
      const result = await this.anonymiser.eraseAddress(tx, address, actor);
      await this.audit.record(tx, {
        actor, action: 'data-subject.erased', changes: {
          ...this.auditChanges(address, result.inquiries),
          inboundEmails: { from: null, to: result.inboundEmails },
          pageComments: { from: null, to: result.pageComments },
        },
      });
      return result;
    });
    // The per-address submission counter is keyed by the address itself.
    await forgetSubmitter(this.redis.client, this.config.queuePrefix, address).catch((err: Error) =>
      this.log.warn(`Erasure: the rate-limit counter could not be removed now (${err.message}); it expires within the hour`),
    );
    return result;
  }

  /**
   * Erasure from the web page, where the address must be typed twice: the two must be the same address, so a slip
   * of one key erases nobody. InvalidInput names `email` or `confirmation`.
   */
  async eraseConfirmed(email: string, confirmation: string, actor: StaffPrincipal): Promise<ErasureResult> {
    const address = this.address(email);
    if (!confirmation.trim()) {
      throw new InvalidInput([{ field: 'confirmation', message: 'confirmation must be the email address typed again' }]);
    }
    if (confirmation.trim().toLowerCase() !== address) {
      throw new InvalidInput([{ field: 'confirmation', message: 'confirmation must be the same email address' }]);
    }
    return this.erase(address, actor);
  }

  private address(email: string): string {
    const address = email.trim().toLowerCase();
    if (!ADDRESS.test(address) || address.length > 254) {
      throw new InvalidInput([{ field: 'email', message: 'email must be an email address' }]);
    }
    return address;
  }

  /** The audit trail names the subject by a keyed hash, never by the address. */
  private auditChanges(address: string, inquiries: number) {
    const subject = createHmac('sha256', this.config.appSecret).update(`data-subject:${address}`).digest('hex').slice(0, 32);
    return { subjectHash: { from: null, to: subject }, inquiries: { from: null, to: inquiries } };
  }
}
