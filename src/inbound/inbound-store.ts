import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InboundQueue } from './inbound.queue.js';
import { headerMessageId } from './inbound-message.js';

export interface Stored {
  /** The row's id; for a copy of a message already stored, the id of that earlier row. */
  id: string | null;
  duplicate: boolean;
}

/**
 * The one door behind both doors (SMTP and webhook): the raw bytes are stored before anything else, so nothing
 * is lost if parsing or matching fails later. A Message-ID already stored is accepted and stored once.
 */
@Injectable()
export class InboundStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queue: InboundQueue,
  ) {}

  async store(raw: Buffer, source: 'smtp' | 'webhook', envelopeRecipients: string[] = []): Promise<Stored> {
    const messageId = headerMessageId(raw);
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO inbound_emails (id, raw, source, envelope_recipients, message_id) VALUES ($1, $2, $3, $4::text[], $5)
       ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING RETURNING id`,
      [randomUUID(), raw, source, envelopeRecipients.map((r) => r.toLowerCase()), messageId],
    );
    if (rows.length) {
      this.queue.wake();
      return { id: rows[0].id, duplicate: false };
    }
    const [earlier]: { id: string }[] = await this.db.query(`SELECT id FROM inbound_emails WHERE message_id = $1`, [messageId]);
    return { id: earlier?.id ?? null, duplicate: true };
  }
}
