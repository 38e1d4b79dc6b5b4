import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { driverPool } from '../database/data-source.js';
import type { EmailToRender } from '../mail/mail-renderer.js';

/**
 * A claim as this process knows it. `until` is when the row's lease ends at the latest, by this process's clock
 * (the time the claiming or renewing statement was sent, plus the lease: PostgreSQL's `locked_until` is never
 * earlier); 0 once a renewal found the row no longer ours. `sendBy` is the last moment the message may still be
 * handed to an SMTP connection: a margin before `until`, so a send never starts on a claim about to lapse.
 */
export class Lease {
  constructor(
    public until: number,
    private readonly marginMs: number,
  ) {}

  get sendBy(): number {
    return this.until && this.until - this.marginMs;
  }
}

/** A claimed row: what the worker renders, plus the claim it holds (attempts is its fencing token). */
export interface ClaimedEmail extends EmailToRender {
  attempts: number;
  lease: Lease;
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
 * worker died, or stopped renewing) can be claimed again. Each claim adds one to `attempts`, the fencing
 * token: every later statement about the claim (renew, sent, retry, failed) names the attempts it claimed
 * with, so a worker that lost its claim changes nothing. The same statement loads the inquiry and topic the
 * templates need.
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

/** An invitation's one-time link is no longer needed once the email is out: the row keeps no live secret. */
const MARK_SENT = `
UPDATE outbound_emails o
SET status = 'sent', sent_at = now(), smtp_response = v.response, locked_until = NULL, updated_at = now(),
    payload = CASE WHEN o.kind = 'invitation' THEN o.payload - 'setPasswordUrl' ELSE o.payload END
FROM unnest($1::uuid[], $2::int[], $3::text[]) AS v(id, attempts, response)
WHERE o.id = v.id AND o.status = 'sending' AND o.attempts = v.attempts
RETURNING o.id, o.attempts`;

/**
 * Every claim a worker holds, renewed in one statement. A lapsed lease is renewed too while nobody else has
 * claimed the row (same attempts): the row was never out of this worker's hands. For each claim: renewed, or
 * taken (another worker has claimed the row since); neither means this worker has just recorded its result.
 */
const RENEW = `
WITH v AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS v(id, attempts)),
renewed AS (
  UPDATE outbound_emails o
  SET locked_until = now() + $3 * interval '1 millisecond'
  FROM v
  WHERE o.id = v.id AND o.status = 'sending' AND o.attempts = v.attempts
  RETURNING o.id, o.attempts)
SELECT v.id, v.attempts, r.id IS NOT NULL AS renewed, coalesce(o.attempts > v.attempts, false) AS taken
FROM v LEFT JOIN renewed r ON r.id = v.id AND r.attempts = v.attempts LEFT JOIN outbound_emails o ON o.id = v.id`;

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

  /** `run` gets the batch and the time its statement starts (Date.now()). */
  constructor(private readonly run: (items: T[], startedAt: number) => Promise<R[]>) {}

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
      const results = await this.run(batch.map((b) => b.item), started);
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

const key = (id: string, attempts: number) => `${id} ${attempts}`;

/**
 * The delivery ledger: the outbound_emails row is the only record of whether an email went out.
 *
 * It also keeps the claims this process holds, from the claim until the worker lets go of it (`release`, once
 * the result is recorded or given up), and `renew()` extends all of them in one statement: a live worker's
 * claims never lapse however long a send takes, and a dead worker's lapse one lease after its last renewal.
 */
@Injectable()
export class OutboundEmails {
  private readonly held = new Set<ClaimedEmail>();

  private readonly claims = new Batcher<{ id: string; leaseMs: number; marginMs: number }, ClaimedEmail | null>(async (items, startedAt) => {
    const { rows } = await driverPool(this.db).query<ClaimRow>({ text: CLAIM, values: [items.map((i) => i.id), items[0].leaseMs] });
    const byId = new Map(rows.map((r) => [r.email.id as string, r]));
    return items.map(({ id, leaseMs, marginMs }) => {
      const row = byId.get(id);
      // One claim per row per statement: a job id asked twice in one batch gets the row once.
      byId.delete(id);
      if (!row) return null;
      const email: ClaimedEmail = {
        ...(camelKeys(row.email) as unknown as ClaimedEmail),
        inquiry: camelKeys(row.inquiry),
        topic: camelKeys(row.topic),
        lease: new Lease(startedAt + leaseMs, marginMs),
      };
      this.held.add(email);
      return email;
    });
  });

  private readonly sent = new Batcher<{ id: string; attempts: number; response: string }, boolean>(async (items) => {
    const { rows } = await driverPool(this.db).query<{ id: string; attempts: number }>({
      text: MARK_SENT,
      values: [items.map((i) => i.id), items.map((i) => i.attempts), items.map((i) => i.response.slice(0, 1000))],
    });
    const marked = new Set(rows.map((r) => key(r.id, r.attempts)));
    return items.map((i) => marked.has(key(i.id, i.attempts)));
  });

  private renewing?: Promise<RenewResult>;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The row, now `sending` and ours for `leaseMs` (renewed by `renew()` until `release`); null when it is sent,
   * failed, or another worker holds it. `marginMs`: how long before the lease ends the message may no longer be
   * handed to SMTP (Lease.sendBy).
   */
  claim(id: string, leaseMs: number, marginMs = 0): Promise<ClaimedEmail | null> {
    return this.claims.submit({ id, leaseMs, marginMs });
  }

  /** Stops renewing the claim: its result is recorded, or the worker gives up on it. */
  release(email: ClaimedEmail): void {
    this.held.delete(email);
  }

  /** How many claims this process holds now. */
  get heldCount(): number {
    return this.held.size;
  }

  /**
   * Extends the lease of every claim held, in one statement. A claim the statement cannot renew gets
   * `until = 0`, so it is not sent from here: `lost` counts those another worker claimed after their lease
   * lapsed (the others were recorded a moment ago). One renewal at a time; a call during one waits for it.
   */
  renew(leaseMs: number): Promise<RenewResult> {
    this.renewing ??= this.renewOnce(leaseMs).finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renewOnce(leaseMs: number): Promise<RenewResult> {
    const claims = [...this.held];
    if (!claims.length) return { renewed: 0, lost: 0 };
    const startedAt = Date.now();
    const { rows } = await driverPool(this.db).query<{ id: string; attempts: number; renewed: boolean; taken: boolean }>({
      text: RENEW,
      values: [claims.map((c) => c.id), claims.map((c) => c.attempts), leaseMs],
    });
    const byClaim = new Map(rows.map((r) => [key(r.id, r.attempts), r]));
    let renewed = 0;
    let lost = 0;
    for (const c of claims) {
      const r = byClaim.get(key(c.id, c.attempts));
      if (r?.renewed) {
        c.lease.until = Math.max(c.lease.until, startedAt + leaseMs);
        renewed++;
      } else {
        c.lease.until = 0;
        if (r?.taken && this.held.has(c)) lost++;
      }
    }
    return { renewed, lost };
  }

  /** When another worker's lease on the row ends, if it is `sending`; null otherwise. */
  async leaseEnd(id: string): Promise<Date | null> {
    const [row]: { locked_until: Date }[] = await this.db.query(
      `SELECT locked_until FROM outbound_emails WHERE id = $1 AND status = 'sending' AND locked_until >= now()`,
      [id],
    );
    return row ? new Date(row.locked_until) : null;
  }

  /** `sent`, if the claim is still ours; false when another worker had taken the row over (nothing changed). */
  markSent(email: ClaimedEmail, smtpResponse: string): Promise<boolean> {
    return this.sent.submit({ id: email.id, attempts: email.attempts, response: smtpResponse });
  }

  /** Back to `pending` until the queue's backoff brings the job round again; false when the claim was no longer ours. */
  async markForRetry(email: ClaimedEmail, error: string, delayMs: number): Promise<boolean> {
    const [, changed]: [unknown, number] = await this.db.query(
      `UPDATE outbound_emails SET status = 'pending', locked_until = NULL, last_error = $3, enqueued_at = now(),
              next_attempt_at = now() + $4 * interval '1 millisecond', updated_at = now()
       WHERE id = $1 AND status = 'sending' AND attempts = $2`,
      [email.id, email.attempts, error.slice(0, 1000), delayMs],
    );
    return changed > 0;
  }

  /** For good: admins see it among failed emails and may retry it (same Message-ID). False when the claim was no longer ours. */
  async markFailed(email: ClaimedEmail, error: string, smtpResponse: string | null): Promise<boolean> {
    const [, changed]: [unknown, number] = await this.db.query(
      `UPDATE outbound_emails SET status = 'failed', locked_until = NULL, last_error = $3, smtp_response = $4, updated_at = now()
       WHERE id = $1 AND status = 'sending' AND attempts = $2`,
      [email.id, email.attempts, error.slice(0, 1000), smtpResponse?.slice(0, 1000) ?? null],
    );
    return changed > 0;
  }
}

export interface RenewResult {
  renewed: number;
  lost: number;
}
