import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { StaffPrincipal } from '../auth/staff.entity.js';

/** What personal fields become. The inquiry, its status, topic and dates stay for statistics. */
export const PLACEHOLDER = '[anonymised]';
export const PLACEHOLDER_EMAIL = 'anonymised@anonymised.invalid';
export const ERASED = '[erased]';

const PLACEHOLDER_RAW = `convert_to('${PLACEHOLDER}', 'UTF8')`;

/** A case-insensitive regular expression that matches exactly this text. */
const literalPattern = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The one way personal data is removed, used by the retention job and by erasure (SPEC §6). Every method runs
 * in the caller's transaction and touches only rows not anonymised yet, so running it again changes nothing.
 */
@Injectable()
export class Anonymiser {
  constructor(private readonly audit: AuditService) {}

  /** Replaces the personal fields of these inquiries and of everything hanging off them. Returns how many changed. */
  async anonymiseInquiries(tx: EntityManager, ids: string[], actor: Pick<StaffPrincipal, 'id' | 'email'> | null, reason: string): Promise<number> {
    if (!ids.length) return 0;
    const rows: { id: string; email: string }[] = await tx.query(
      `SELECT id, email FROM inquiries WHERE id = ANY($1::uuid[]) AND anonymised_at IS NULL ORDER BY id FOR UPDATE`, [ids]);
    if (!rows.length) return 0;
    const targets = rows.map((r) => r.id);
    const emails = rows.map((r) => r.email);
    await tx.query(
      `UPDATE inquiries SET name = $2, email = $3, organisation = NULL, subject = $2, message = $2, source_url = NULL,
              anonymised_at = now(), updated_at = now()
       WHERE id = ANY($1::uuid[])`, [targets, PLACEHOLDER, PLACEHOLDER_EMAIL]);
    await tx.query(`UPDATE conversation_messages SET body = $2 WHERE inquiry_id = ANY($1::uuid[]) AND body <> $2`, [targets, PLACEHOLDER]);
    await tx.query(`UPDATE inquiry_notes SET body = $2 WHERE inquiry_id = ANY($1::uuid[]) AND body <> $2`, [targets, PLACEHOLDER]);
    // Reply drafts (SPEC §9) are only ever the writer's own words in progress: deleted, not kept anonymised.
    await tx.query(`DELETE FROM inquiry_drafts WHERE inquiry_id = ANY($1::uuid[])`, [targets]);
    await tx.query(
      `UPDATE outbound_emails e
          SET recipient = CASE WHEN lower(e.recipient) = lower(o.email) THEN $2 ELSE e.recipient END,
              reply_to = NULL, subject = $3, payload = '{}',
              last_error = CASE WHEN e.last_error ILIKE '%' || o.email || '%' THEN $3 ELSE e.last_error END,
              smtp_response = CASE WHEN e.smtp_response ILIKE '%' || o.email || '%' THEN $3 ELSE e.smtp_response END,
              updated_at = now()
         FROM unnest($1::uuid[], $4::text[]) AS o(id, email)
        WHERE e.inquiry_id = o.id`, [targets, PLACEHOLDER_EMAIL, PLACEHOLDER, emails]);
    await this.anonymiseInbound(tx,
      `inquiry_id = ANY($1::uuid[]) OR duplicate_of IN (SELECT id FROM inbound_emails WHERE inquiry_id = ANY($1::uuid[]))`, [targets]);
    for (const id of targets) {
      await this.audit.record(tx, { inquiryId: id, actor, action: 'inquiry.anonymised', changes: { reason: { from: null, to: reason } } });
    }
    return targets.length;
  }

  /** Empties the raw bytes and personal headers of the inbound messages `where` selects. Returns how many changed. */
  async anonymiseInbound(tx: EntityManager, where: string, params: unknown[]): Promise<number> {
    const [{ n }]: { n: number }[] = await tx.query(
      `WITH changed AS (UPDATE inbound_emails SET raw = ${PLACEHOLDER_RAW}, from_address = CASE WHEN from_address IS NULL THEN NULL ELSE '${PLACEHOLDER_EMAIL}' END,
              subject = CASE WHEN subject IS NULL THEN NULL ELSE '${PLACEHOLDER}' END, envelope_recipients = '{}', error = NULL,
              anonymised_at = now()
        WHERE anonymised_at IS NULL AND (${where}) RETURNING id)
       SELECT count(*)::int AS n FROM changed`, params);
    return n;
  }

  /** Replaces the words of the page feedback comments `where` selects (SPEC §11). Returns how many changed. */
  async anonymiseComments(tx: EntityManager, where: string, params: unknown[]): Promise<number> {
    const [{ n }]: { n: number }[] = await tx.query(
      `WITH changed AS (UPDATE page_comments SET comment = '${PLACEHOLDER}', personal_data = '{}', anonymised_at = now()
        WHERE anonymised_at IS NULL AND (${where}) RETURNING id)
       SELECT count(*)::int AS n FROM changed`, params);
    return n;
  }

  /**
   * Erasure of one address: its inquiries and messages anonymised, and every other mention of the address
   * (in someone else's message, a note, an email's payload or error, an audit entry) replaced by `[erased]`.
   */
  async eraseAddress(tx: EntityManager, email: string, actor: Pick<StaffPrincipal, 'id' | 'email'>): Promise<{ inquiries: number; inboundEmails: number; pageComments: number }> {
    const address = email.trim().toLowerCase();
    const inboundEmails = await this.anonymiseInbound(tx,
      `lower(from_address) = $1 OR $1 = ANY(envelope_recipients) OR position($1 in lower(encode(raw, 'escape'))) > 0`, [address]);
    const ids: { id: string }[] = await tx.query(`SELECT id FROM inquiries WHERE lower(email) = $1`, [address]);
    const inquiries = await this.anonymiseInquiries(tx, ids.map((r) => r.id), actor, 'erasure');
    const pattern = literalPattern(address);
    const scrub = (column: string) =>
      `${column} = regexp_replace(${column}, $1, '${ERASED}', 'gi')`;
    const mentions = (column: string) => `${column} ~* $1`;
    await tx.query(
      `UPDATE inquiries SET ${scrub('subject')}, ${scrub('message')}, organisation = regexp_replace(organisation, $1, '${ERASED}', 'gi'),
              source_url = regexp_replace(source_url, $1, '${ERASED}', 'gi'), updated_at = now()
        WHERE ${mentions('subject')} OR ${mentions('message')} OR ${mentions('organisation')} OR ${mentions('source_url')}`, [pattern]);
    await tx.query(`UPDATE conversation_messages SET ${scrub('body')} WHERE ${mentions('body')}`, [pattern]);
    await tx.query(`UPDATE inquiry_notes SET ${scrub('body')} WHERE ${mentions('body')}`, [pattern]);
    await tx.query(`UPDATE inquiry_drafts SET ${scrub('body')} WHERE ${mentions('body')}`, [pattern]);
    await tx.query(
      `UPDATE outbound_emails
          SET recipient = CASE WHEN lower(recipient) = $2 THEN '${PLACEHOLDER_EMAIL}' ELSE regexp_replace(recipient, $1, '${ERASED}', 'gi') END,
              reply_to = regexp_replace(reply_to, $1, '${ERASED}', 'gi'), ${scrub('subject')},
              payload = regexp_replace(payload::text, $1, '${ERASED}', 'gi')::jsonb,
              last_error = regexp_replace(last_error, $1, '${ERASED}', 'gi'),
              smtp_response = regexp_replace(smtp_response, $1, '${ERASED}', 'gi'), updated_at = now()
        WHERE ${mentions('recipient')} OR ${mentions('reply_to')} OR ${mentions('subject')} OR ${mentions('payload::text')}
           OR ${mentions('last_error')} OR ${mentions('smtp_response')}`, [pattern, address]);
    await tx.query(
      `UPDATE inbound_emails SET ${scrub('subject')}, error = regexp_replace(error, $1, '${ERASED}', 'gi')
        WHERE ${mentions('subject')} OR ${mentions('error')}`, [pattern]);
    await tx.query(
      `UPDATE audit_events SET changes = regexp_replace(changes::text, $1, '${ERASED}', 'gi')::jsonb WHERE ${mentions('changes::text')}`,
      [pattern]);
    // A page feedback comment that names the address keeps its other words (SPEC §11).
    const [{ n: pageComments }]: { n: number }[] = await tx.query(
      `WITH changed AS (UPDATE page_comments SET ${scrub('comment')} WHERE ${mentions('comment')} RETURNING id) SELECT count(*)::int AS n FROM changed`,
      [pattern]);
    return { inquiries, inboundEmails, pageComments };
  }
}
