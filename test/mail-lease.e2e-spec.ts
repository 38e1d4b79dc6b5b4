import { DataSource } from 'typeorm';
import { MailTuning } from '../src/config/app-config.js';
import { smtpPoolOptions } from '../src/mail/mail-transport.js';
import { SmtpSendError, SmtpSender } from '../src/mail/smtp-sender.js';
import { OutboundEmails } from '../src/queue/outbound-emails.js';
import { createTestApp, TestApp } from './support/app.js';
import { TestSmtpServer } from './support/smtp.js';

/**
 * The claim lease (SPEC §4 "A dead worker holds nothing for long"): a worker's claim on a row is a lease it
 * renews while it lives; every statement about a claim names the attempts it was made with, so a worker that
 * lost its claim changes nothing; and a message whose claim lapsed is never handed to an SMTP connection.
 * Worker processes killed and stopped are in mail-workers.e2e-spec.ts.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function insertEmail(db: DataSource, kind = 'notification', payload: Record<string, unknown> = { body: 'Lease test' }): Promise<string> {
  const [{ id }]: { id: string }[] = await db.query(
    `INSERT INTO outbound_emails (id, kind, recipient, subject, message_id, payload)
     SELECT u, $1, 'lease.' || left(u::text, 8) || '@example.org', 'Lease test', '<' || u || '@localhost>', $2::jsonb
     FROM gen_random_uuid() AS u RETURNING id`,
    [kind, JSON.stringify(payload)],
  );
  return id;
}

const row = async (db: DataSource, id: string) =>
  (await db.query(`SELECT status, attempts, locked_until, smtp_response, sent_at, last_error, payload FROM outbound_emails WHERE id = $1`, [id]))[0];

/** Until PostgreSQL's clock has passed the row's lease. */
async function leaseLapsed(db: DataSource, id: string): Promise<void> {
  for (;;) {
    const [{ lapsed }] = await db.query(`SELECT locked_until < now() AS lapsed FROM outbound_emails WHERE id = $1`, [id]);
    if (lapsed) return;
    await sleep(20);
  }
}

describe('The claim ledger: leases and fencing', () => {
  let t: TestApp;
  /** Two workers' ledgers on one database. */
  let a: OutboundEmails;
  let b: OutboundEmails;

  beforeAll(async () => {
    t = await createTestApp({ env: { WORKERS: 'off' } });
    a = new OutboundEmails(t.db);
    b = new OutboundEmails(t.db);
  });
  afterAll(async () => {
    await t.close();
  });

  it('renews every claim it holds in one statement, and stops when the claim is released', async () => {
    const ids = [await insertEmail(t.db), await insertEmail(t.db), await insertEmail(t.db), await insertEmail(t.db)];
    const claimed = await Promise.all(ids.map((id) => a.claim(id, 60_000)));
    expect(claimed.every((c) => c !== null)).toBe(true);
    expect(a.heldCount).toBe(4);
    const before = await Promise.all(ids.map(async (id) => new Date((await row(t.db, id)).locked_until).getTime()));

    a.release(claimed[2]!);
    // Recorded but not yet let go of (a renewal can run in between): neither renewed nor counted as lost.
    expect(await a.markSent(claimed[3]!, '250 OK')).toBe(true);
    expect(await a.renew(120_000)).toEqual({ renewed: 2, lost: 0 });
    a.release(claimed[3]!);
    const after = await Promise.all(ids.map(async (id) => new Date((await row(t.db, id)).locked_until).getTime()));
    expect(after[0]).toBeGreaterThan(before[0]);
    expect(after[1]).toBeGreaterThan(before[1]);
    expect(after[2]).toBe(before[2]);
    // The worker's own view moved on with it.
    expect(claimed[0]!.lease.until).toBeGreaterThan(Date.now() + 60_000);
    for (const c of claimed.slice(0, 2)) a.release(c!);
  });

  it("keeps a lapsed claim that nobody took: the renewal restores it, and another worker can't claim the row", async () => {
    const id = await insertEmail(t.db);
    const mine = await a.claim(id, 50);
    await leaseLapsed(t.db, id);
    expect(await a.renew(60_000)).toEqual({ renewed: 1, lost: 0 });
    expect(await b.claim(id, 60_000)).toBeNull();
    expect(await a.markSent(mine!, '250 OK')).toBe(true);
    a.release(mine!);
    expect(await row(t.db, id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('a worker whose lease lapsed and was taken over changes nothing: no renewal, no sent, no retry, no failure over the new claim', async () => {
    const id = await insertEmail(t.db);
    const slow = await a.claim(id, 50, 10);
    expect(slow).toMatchObject({ attempts: 1 });
    await leaseLapsed(t.db, id);

    // Another worker claims the lapsed row: a new attempt, its own lease.
    const other = await b.claim(id, 60_000);
    expect(other).toMatchObject({ attempts: 2 });
    const taken = await row(t.db, id);

    // The slow worker wakes up: its renewal finds nothing of its own, and its lease says "do not send".
    expect(await a.renew(60_000)).toEqual({ renewed: 0, lost: 1 });
    expect(slow!.lease.until).toBe(0);
    expect(slow!.lease.sendBy).toBe(0);
    expect(await a.markSent(slow!, '250 slow worker')).toBe(false);
    expect(await a.markForRetry(slow!, 'slow worker 451', 1_000)).toBe(false);
    expect(await a.markFailed(slow!, 'slow worker 550', '550 no')).toBe(false);
    expect(await row(t.db, id)).toEqual(taken);

    // The other worker's result is the row's, and the slow worker's late mark does not overwrite it.
    expect(await b.markSent(other!, '250 other worker')).toBe(true);
    const sent = await row(t.db, id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, smtp_response: '250 other worker', locked_until: null });
    expect(await a.markSent(slow!, '250 slow worker, again')).toBe(false);
    expect(await a.markFailed(slow!, 'slow worker 550', '550 no')).toBe(false);
    expect(await row(t.db, id)).toEqual(sent);
    a.release(slow!);
    b.release(other!);
  });

  it("removes an invitation's one-time link from the row once it is sent, and keeps it on a failed one (an admin may retry it)", async () => {
    const link = { name: 'Priya Shah', setPasswordUrl: 'http://localhost/admin/set-password?token=secret-token-value', expiresInDays: 7 };
    const sentId = await insertEmail(t.db, 'invitation', link);
    const failedId = await insertEmail(t.db, 'invitation', link);
    const s = await a.claim(sentId, 60_000);
    const f = await a.claim(failedId, 60_000);
    expect(s!.payload.setPasswordUrl).toBe(link.setPasswordUrl);
    expect(await a.markSent(s!, '250 OK')).toBe(true);
    expect(await a.markFailed(f!, '550 No such user', '550 No such user')).toBe(true);
    a.release(s!);
    a.release(f!);
    expect((await row(t.db, sentId)).payload).toEqual({ name: 'Priya Shah', expiresInDays: 7 });
    expect((await row(t.db, failedId)).payload).toEqual(link);
  });
});

describe('A live worker keeps its claims while a send outlasts the lease', () => {
  const LEASE_MAIL: MailTuning = { backoffMs: 200, maxAttempts: 5, relayPollMs: 200, leaseMs: 1_500, concurrency: 4, maxConnections: 2 };
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ env: { WORKERS: 'inline', SMTP_URL: smtp.url }, config: { mail: LEASE_MAIL } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('renews the lease while the SMTP server takes several leases to answer; the email goes once, on the first claim', async () => {
    smtp.answerDelayMs = 5 * LEASE_MAIL.leaseMs;
    const id = await insertEmail(t.db);
    const leases = new Set<number>();
    for (;;) {
      const r = await row(t.db, id);
      if (r.status === 'sent') break;
      if (r.status === 'sending') {
        // Always a lease in the future: nobody else could have claimed the row meanwhile.
        const [{ ahead }] = await t.db.query(`SELECT locked_until > now() AS ahead FROM outbound_emails WHERE id = $1`, [id]);
        expect(ahead).toBe(true);
        leases.add(new Date(r.locked_until).getTime());
      }
      await sleep(100);
    }
    expect(leases.size).toBeGreaterThan(2);
    expect(await row(t.db, id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(smtp.find({ messageId: `<${id}@localhost>` })).toHaveLength(1);
  }, 60_000);
});

describe('The SMTP thread and a claim that lapses', () => {
  let smtp: TestSmtpServer;
  let sender: SmtpSender;
  const mail = (n: number) => ({
    from: 'Policy team <policy@example.org>',
    to: 'lease@example.org',
    subject: `Lease ${n}`,
    text: `Hello ${n}\r\n`,
    messageId: `<lease-${n}-${Date.now()}@policy.example.org>`,
  });

  beforeEach(async () => {
    smtp = await TestSmtpServer.start();
    // One connection: a second message waits in the thread while the first is at the server.
    sender = new SmtpSender(smtpPoolOptions(smtp.url, 1, 30_000));
  });
  afterEach(async () => {
    await sender.close();
    await smtp.close();
  });

  it('never hands a connection a message whose claim has lapsed or was lost', async () => {
    const lapsed = await sender.send(mail(1), { sendBy: Date.now() - 1 }).catch((e: unknown) => e);
    expect(lapsed).toBeInstanceOf(SmtpSendError);
    expect((lapsed as SmtpSendError).code).toBe('ELEASE');
    const lost = await sender.send(mail(2), { sendBy: 0 }).catch((e: unknown) => e);
    expect((lost as SmtpSendError).code).toBe('ELEASE');
    expect(smtp.attempts).toBe(0);
  });

  it('checks the claim when a connection is free to take the message, and follows its renewals', async () => {
    smtp.answerDelayMs = 1_500;
    const first = mail(3);
    const expiring = mail(4);
    const renewed = mail(5);
    const renewedWindow = { sendBy: Date.now() + 500 };
    const results = Promise.allSettled([
      sender.send(first),
      sender.send(expiring, { sendBy: Date.now() + 500 }),
      sender.send(renewed, renewedWindow),
    ]);
    // The worker renews one of the two claims while both messages wait for the connection.
    await sleep(100);
    renewedWindow.sendBy = Date.now() + 60_000;
    sender.windowsChanged();
    const [a, b, c] = await results;
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && (b.reason as SmtpSendError).code).toBe('ELEASE');
    expect(c.status).toBe('fulfilled');
    expect(smtp.messages.map((m) => m.messageId).sort()).toEqual([first.messageId, renewed.messageId].sort());
  }, 30_000);
});
