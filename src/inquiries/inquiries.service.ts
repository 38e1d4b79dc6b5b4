import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InvalidInput, Unprocessable } from '../common/errors.js';
import { driverPool } from '../database/data-source.js';
import { AppConfig } from '../config/app-config.js';
import { OutboxSignal } from '../mail/outbox-signal.js';
import { CreateInquiryDto, InquiryReceipt } from './create-inquiry.dto.js';
import { replyAddress } from '../inbound/reply-address.js';
import { sensitiveFlags } from '../privacy/sensitive-data.js';
import { newReference } from './reference.js';
import { SpamContext, spamVerdict } from './spam.js';
import { SubmissionLimits } from './submission-limits.js';
import { TopicsService } from './topics.service.js';
import { addWorkingDays } from './working-days.js';

export interface SubmissionContext extends SpamContext {
  ip?: string;
  idempotencyKey?: string;
  channel: 'api' | 'form';
}

export interface Submitted {
  receipt: InquiryReceipt;
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

/**
 * The inquiry, its idempotency key and its two outbox rows in one statement: one round trip, one commit.
 * The key is written first; when it already exists (a replay or a concurrent double click) nothing else is.
 */
const INSERT_SUBMISSION = `
WITH t AS (
  SELECT key, coalesce(mailbox, $18) AS mailbox FROM topics WHERE key = $7 AND active
), k AS (
  INSERT INTO idempotency_keys (key, request_hash, inquiry_id)
  SELECT $16::text, $17::text, $1::uuid FROM t WHERE $16::text IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET request_hash = EXCLUDED.request_hash, inquiry_id = EXCLUDED.inquiry_id, created_at = now()
    WHERE idempotency_keys.created_at < now() - interval '24 hours'
  RETURNING 1
), i AS (
  INSERT INTO inquiries (id, reference, name, email, organisation, enquirer_type, topic_key, subject, message,
                         source_url, consent, status, spam_reason, channel, expected_response_by, sensitive_flags)
  SELECT $1, $2, $3, $4, $5, $6, t.key, $8, $9, $10, true, CASE WHEN $11::text IS NULL THEN 'new' ELSE 'spam' END,
         $11, $12, $13::date, $21::text[]
  FROM t WHERE $16::text IS NULL OR EXISTS (SELECT 1 FROM k)
  RETURNING id, reference, status, created_at, expected_response_by
), e AS (
  INSERT INTO outbound_emails (id, kind, inquiry_id, recipient, subject, message_id, reply_to)
  SELECT $14::uuid, 'acknowledgement', i.id, $4, 'Your question to the policy team [' || i.reference || ']',
         '<' || $14 || '@' || $19 || '>', $20::text
  FROM i WHERE i.status <> 'spam'
  UNION ALL
  SELECT $15::uuid, 'routing', i.id, t.mailbox, '[' || i.reference || '] ' || $8,
         '<' || $15 || '@' || $19 || '>', $4
  FROM i, t WHERE i.status <> 'spam'
)
SELECT id, reference, to_char(expected_response_by, 'YYYY-MM-DD') AS expected_response_by, created_at FROM i`;

const FIND_BY_KEY = `
SELECT k.request_hash, i.id, i.reference, to_char(i.expected_response_by, 'YYYY-MM-DD') AS expected_response_by, i.created_at
FROM idempotency_keys k JOIN inquiries i ON i.id = k.inquiry_id
WHERE k.key = $1 AND k.created_at >= now() - interval '24 hours'`;

interface ReceiptRow {
  id: string;
  reference: string;
  expected_response_by: string;
  created_at: Date;
  request_hash?: string;
}

@Injectable()
export class InquiriesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly topics: TopicsService,
    private readonly limits: SubmissionLimits,
    private readonly config: AppConfig,
    private readonly signal: OutboxSignal,
  ) {}

  async submit(dto: CreateInquiryDto, ctx: SubmissionContext): Promise<Submitted> {
    const key = ctx.idempotencyKey;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new InvalidInput([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1-255 visible ASCII characters' }]);
    }
    const hash = key === undefined ? null : requestHash(dto);
    if (key !== undefined) {
      const earlier = await this.replay(key, hash!);
      if (earlier) return earlier;
    }
    const topic = await this.topics.findActive(dto.topic);
    if (!topic) throw new InvalidInput([{ field: 'topic', message: 'topic must be one of the keys listed by GET /api/topics' }]);

    await this.limits.take(ctx.ip, dto.email);
    const spam = spamVerdict(dto, ctx);
    const now = new Date();
    const expectedResponseBy = addWorkingDays(now, topic.responseTargetDays);
    const flags = sensitiveFlags(dto.subject, dto.message);

    for (let attempt = 0; ; attempt++) {
      try {
        const reference = newReference();
        const rows = await this.insert([
          randomUUID(), reference, dto.name, dto.email, dto.organisation ?? null, dto.enquirerType, dto.topic,
          dto.subject, dto.message, dto.sourceUrl ?? null, spam, ctx.channel, expectedResponseBy,
          randomUUID(), randomUUID(), key ?? null, hash, this.config.teamInbox, this.config.mailDomain,
          // The acknowledgement's Reply-To: answers to it come back signed for this inquiry (SPEC §6a).
          replyAddress(reference, this.config.appSecret, this.config.mailDomain), flags,
        ]);
        if (rows.length) {
          if (!spam) this.signal.poke();
          return { receipt: toReceipt(rows[0]), replayed: false };
        }
        if (key !== undefined) {
          // Another request with this key committed first (a double click): answer as it did.
          const earlier = await this.replay(key, hash!);
          if (earlier) return earlier;
        }
        throw new InvalidInput([{ field: 'topic', message: 'topic must be one of the keys listed by GET /api/topics' }]);
      } catch (err) {
        // A reference already taken (1 in ~10^9 per existing inquiry): draw another.
        if (isUniqueViolation(err, 'inquiries_reference_key') && attempt < 5) continue;
        throw err;
      }
    }
  }

  /**
   * Runs the intake statement as a named prepared statement on the driver's pool: PostgreSQL parses and
   * plans it once per connection, and each submission sends only its values.
   */
  private async insert(values: unknown[]): Promise<ReceiptRow[]> {
    const result = await driverPool(this.db).query<ReceiptRow>({ name: 'insert-submission', text: INSERT_SUBMISSION, values });
    return result.rows;
  }

  private async replay(key: string, hash: string): Promise<Submitted | undefined> {
    const [row]: ReceiptRow[] = await this.db.query(FIND_BY_KEY, [key]);
    if (!row) return undefined;
    if (row.request_hash !== hash) {
      throw new Unprocessable('This Idempotency-Key was already used with a different request body');
    }
    return { receipt: toReceipt(row), replayed: true };
  }
}

function toReceipt(row: ReceiptRow): InquiryReceipt {
  return {
    id: row.id,
    reference: row.reference,
    status: 'received',
    expectedResponseBy: row.expected_response_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** A stable hash of the request body: same fields and values in any order give the same hash. */
export function requestHash(dto: CreateInquiryDto): string {
  const entries = Object.entries(dto).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && name === constraint;
}
