import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { driverPool } from '../database/data-source.js';
import type { EmailToRender } from '../mail/mail-renderer.js';

/** A claimed row: what the worker renders, plus the claim it holds. */
export interface ClaimedEmail extends EmailToRender {
  attempts: number;
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
function camelKeys(row: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!row) return null;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v]));
}

/*
 * CLAIM and MARK_SENT find their rows through the primary key, one lookup per id of the batch (the join with
 * unnest). They are planned each time they run, not prepared once per connection: a plan cached while the
 * outbox was nearly empty scans the whole partial index of unfinished rows (or the whole table) for every
 * batch, and during a backlog of 10,000 emails that made each statement 5 to 10 times dearer.
 */

/**
 * `pending → sending` for one row, atomically, with a lease; a `sending` row whose lease ran out (its
 * worker died) can be claimed again. The same statement loads the inquiry and topic the templates need.
 */
const CLAIM = `
WITH c AS (
  UPDATE outbound_emails o
  SET status = 'sending', attempts = o.attempts + 1, locked_until = now() + $2 * interval '1 millisecond', updated_at = now()
  FROM unnest($1::uuid[]) AS v(id)
  WHERE o.id = v.id AND (o.status = 'pending' OR (o.status = 'sending' AND o.locked_until < now()))
  RETURNING o.*
)
SELECT to_jsonb(c) AS email, to_jsonb(i) - 'search' AS inquiry, to_jsonb(t) AS topic
FROM c LEFT JOIN inquiries i ON i.id = c.inquiry_id LEFT JOIN topics t ON t.key = i.topic_key`;

const MARK_SENT = `
UPDATE outbound_emails o
SET status = 'sent', sent_at = now(), smtp_response = v.response, locked_until = NULL, updated_at = now()
FROM unnest($1::uuid[], $2::int[], $3::text[]) AS v(id, attempts, response)
WHERE o.id = v.id AND o.status = 'sending' AND o.attempts = v.attempts`;

/**
 * Runs one statement for many callers: requests that arrive within BATCH_WINDOW_MS of the first go together,
 * and while the work keeps coming a statement starts at most once per window (sooner only when BATCH_MAX
 * are waiting). Each row is still claimed or marked atomically by itself; only the round trips and commits
 * are shared. A few milliseconds of waiting cost nothing beside an SMTP transaction and turn dozens of
 * commits into one.
 */
const BATCH_WINDOW_MS = 20;
const BATCH_MAX = 200;

class Batcher<T, R> {
  private queued: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private busy = false;

  constructor(private readonly run: (items: T[]) => Promise<R[]>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setTimeout(() => void this.flush(), BATCH_WINDOW_MS);
      }
    });
  }

  private async flush(): Promise<void> {
    const started = Date.now();
    const batch = this.queued.splice(0, BATCH_MAX);
    try {
      const results = await this.run(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
    if (!this.queued.length) this.busy = false;
    else if (this.queued.length >= BATCH_MAX) void this.flush();
    else setTimeout(() => void this.flush(), Math.max(0, started + BATCH_WINDOW_MS - Date.now()));
  }
}

type ClaimRow = { email: Record<string, unknown>; inquiry: Record<string, unknown> | null; topic: Record<string, unknown> | null };

/** The delivery ledger: the outbound_emails row is the only record of whether an email went out. */
@Injectable()
export class OutboundEmails {
  private readonly claims = new Batcher<{ id: string; leaseMs: number }, ClaimedEmail | null>(async (items) => {
    const { rows } = await driverPool(this.db).query<ClaimRow>({ text: CLAIM, values: [items.map((i) => i.id), items[0].leaseMs] });
    const byId = new Map(rows.map((r) => [r.email.id as string, r]));
    return items.map(({ id }) => {
      const row = byId.get(id);
      // One claim per row per statement: a job id asked twice in one batch gets the row once.
      byId.delete(id);
      return row ? { ...(camelKeys(row.email) as unknown as ClaimedEmail), inquiry: camelKeys(row.inquiry), topic: camelKeys(row.topic) } : null;
    });
  });

  private readonly sent = new Batcher<{ id: string; attempts: number; response: string }, void>(async (items) => {
    await driverPool(this.db).query({
      text: MARK_SENT,
      values: [items.map((i) => i.id), items.map((i) => i.attempts), items.map((i) => i.response.slice(0, 1000))],
    });
    return items.map(() => undefined);
  });

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The row, now `sending` and ours for `leaseMs`; null when it is sent, failed, or another worker holds it. */
  claim(id: string, leaseMs: number): Promise<ClaimedEmail | null> {
    return this.claims.submit({ id, leaseMs });
  }

  /** When another worker's lease on the row ends, if it is `sending`; null otherwise. */
  async leaseEnd(id: string): Promise<Date | null> {
    const [row]: { locked_until: Date }[] = await this.db.query(
      `SELECT locked_until FROM outbound_emails WHERE id = $1 AND status = 'sending' AND locked_until >= now()`,
      [id],
    );
    return row ? new Date(row.locked_until) : null;
  }

  markSent(email: ClaimedEmail, smtpResponse: string): Promise<void> {
    return this.sent.submit({ id: email.id, attempts: email.attempts, response: smtpResponse });
  }

  /** Back to `pending` until the queue's backoff brings the job round again. */
  async markForRetry(email: ClaimedEmail, error: string, delayMs: number): Promise<void> {
    await this.db.query(
      `UPDATE outbound_emails SET status = 'pending', locked_until = NULL, last_error = $3, enqueued_at = now(),
              next_attempt_at = now() + $4 * interval '1 millisecond', updated_at = now()
       WHERE id = $1 AND status = 'sending' AND attempts = $2`,
      [email.id, email.attempts, error.slice(0, 1000), delayMs],
    );
  }

  /** For good: admins see it among failed emails and may retry it (same Message-ID). */
  async markFailed(email: ClaimedEmail, error: string, smtpResponse: string | null): Promise<void> {
    await this.db.query(
      `UPDATE outbound_emails SET status = 'failed', locked_until = NULL, last_error = $3, smtp_response = $4, updated_at = now()
       WHERE id = $1 AND status = 'sending' AND attempts = $2`,
      [email.id, email.attempts, error.slice(0, 1000), smtpResponse?.slice(0, 1000) ?? null],
    );
  }
}
