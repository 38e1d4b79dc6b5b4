import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InboundAttacher } from './inbound-attacher.js';
import { InboundMatcher } from './inbound-matcher.js';
import { parseInbound } from './inbound-message.js';

/** The same sender and the same text within this window is the same answer sent twice. */
const DUPLICATE_WINDOW = `interval '10 minutes'`;

export type InboundOutcome = 'attached' | 'held' | 'duplicate' | 'failed' | 'skipped';

/**
 * Processes one stored message: parse, recognise a copy, match, then attach or hold — in one transaction that
 * holds the row's lock, so two workers never process it twice. If anything throws, the row stays stored with
 * status `failed` and its error, and an admin can reprocess it.
 */
@Injectable()
export class InboundProcessor {
  private readonly log = new Logger('InboundProcessor');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly matcher: InboundMatcher,
    private readonly attacher: InboundAttacher,
  ) {}

  async process(id: string): Promise<InboundOutcome> {
    try {
      return await this.db.transaction(async (tx) => {
        const [row]: { status: string; raw: Buffer; envelope_recipients: string[]; received_at: Date }[] = await tx.query(
          `SELECT status, raw, envelope_recipients, received_at FROM inbound_emails WHERE id = $1 FOR UPDATE`, [id]);
        if (!row || row.status !== 'received') return 'skipped';
        const message = await parseInbound(row.raw, row.envelope_recipients);
        await tx.query(
          `UPDATE inbound_emails SET from_address = $2, subject = $3, body_hash = $4, attempts = attempts + 1 WHERE id = $1`,
          [id, message.from, message.subject?.slice(0, 998) ?? null, message.bodyHash],
        );
        if (message.from) {
          const [earlier]: { id: string }[] = await tx.query(
            `SELECT id FROM inbound_emails
             WHERE from_address = $1 AND body_hash = $2 AND id <> $3 AND status IN ('attached','held')
               AND received_at BETWEEN $4::timestamptz - ${DUPLICATE_WINDOW} AND $4::timestamptz + ${DUPLICATE_WINDOW}
             ORDER BY received_at LIMIT 1`,
            [message.from, message.bodyHash, id, row.received_at],
          );
          if (earlier) {
            await tx.query(
              `UPDATE inbound_emails SET status = 'duplicate', duplicate_of = $2, processed_at = now(), error = NULL WHERE id = $1`,
              [id, earlier.id]);
            return 'duplicate';
          }
        }
        const match = await this.matcher.match(tx, message);
        if ('held' in match) {
          await tx.query(
            `UPDATE inbound_emails SET status = 'held', hold_reason = $2, processed_at = now(), error = NULL WHERE id = $1`,
            [id, match.held]);
          return 'held';
        }
        await this.attacher.attach(tx, { inboundEmailId: id, inquiryId: match.inquiryId, body: message.body, actor: null });
        return 'attached';
      });
    } catch (err) {
      const error = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000);
      this.log.warn(`Inbound message ${id} could not be processed: ${error}`);
      await this.db.query(
        `UPDATE inbound_emails SET status = 'failed', error = $2, processed_at = now(), attempts = attempts + 1
         WHERE id = $1 AND status = 'received'`, [id, error]);
      return 'failed';
    }
  }
}
