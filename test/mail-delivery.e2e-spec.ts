import { simpleParser } from 'mailparser';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MailTuning } from '../src/config/app-config.js';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { ReceivedMessage, TestSmtpServer } from './support/smtp.js';
import { createStaff } from './support/staff.js';

/** Short timings so retries happen within a test; the defaults are in app-config.ts. */
const FAST_MAIL: MailTuning = { backoffMs: 200, maxAttempts: 12, relayPollMs: 200, leaseMs: 3_000, concurrency: 4, maxConnections: 2 };

describe('Email delivery through the outbox, BullMQ and SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ env: { WORKERS: 'inline', SMTP_URL: smtp.url }, config: { mail: FAST_MAIL } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.respondWith(null));

  const submit = async (overrides: Record<string, unknown> = {}) => {
    const res = await request(t.http).post('/api/inquiries').send(validInquiry(overrides)).expect(201);
    return res.body as { id: string; reference: string; expectedResponseBy: string };
  };
  const rows = (inquiryId: string) =>
    t.db.query(`SELECT id, kind, status, attempts, message_id, last_error, smtp_response, sent_at FROM outbound_emails WHERE inquiry_id = $1 ORDER BY kind`, [inquiryId]);
  /** Waits until no email of these inquiries is pending or sending. */
  const settled = async (inquiryIds: string[], timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM outbound_emails WHERE inquiry_id = ANY($1::uuid[]) AND status IN ('pending','sending')`, [inquiryIds]);
      if (n === 0) return;
      if (Date.now() > deadline) throw new Error(`${n} emails still unfinished after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const copiesOf = (reference: string) => smtp.find({ reference });
  const header = (m: ReceivedMessage, name: string) => String(m.headers.get(name) ?? '');

  it('sends one acknowledgement and one routing email for a new inquiry, with the headers of SPEC §4', async () => {
    const dto = validInquiry({ name: 'Aisha Khan', subject: 'Two-week wait referrals', topic: 'waiting-times' });
    const { body: inquiry } = await request(t.http).post('/api/inquiries').send(dto).expect(201);
    const ack = await smtp.waitFor({ reference: inquiry.reference, kind: 'acknowledgement' });
    const routing = await smtp.waitFor({ reference: inquiry.reference, kind: 'routing' });
    await settled([inquiry.id]);

    const [ackRow, routingRow] = await rows(inquiry.id);
    expect(ackRow).toMatchObject({ kind: 'acknowledgement', status: 'sent', attempts: 1 });
    expect(routingRow).toMatchObject({ kind: 'routing', status: 'sent', attempts: 1 });
    expect(ackRow.smtp_response).toMatch(/^250/);
    expect(ackRow.sent_at).not.toBeNull();

    // Acknowledgement: to the enquirer, reference in the subject, a copy of the message, the date, the privacy link.
    expect(ack.to).toEqual([dto.email]);
    expect(ack.from).toBe('policy@localhost');
    expect(ack.messageId).toBe(ackRow.message_id);
    expect(ack.messageId).toMatch(/^<[0-9a-f-]{36}@localhost>$/);
    expect(header(ack, 'x-email-kind')).toBe('acknowledgement');
    expect(header(ack, 'x-inquiry-reference')).toBe(inquiry.reference);
    expect(ack.subject).toContain(inquiry.reference);
    expect(ack.text).toContain(String(dto.message));
    expect(ack.text).toContain(inquiry.reference);
    expect(ack.text).toContain(`${t.config.publicBaseUrl}/privacy`);
    const replyBy = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
      .format(new Date(`${inquiry.expectedResponseBy}T12:00:00Z`));
    expect(ack.text).toContain(replyBy);
    expect(ack.html).toContain(`${t.config.publicBaseUrl}/privacy`);

    // Routing: to the topic's mailbox, reference and subject in the subject line, the whole inquiry, a link, Reply-To.
    expect(routing.to).toEqual([t.config.teamInbox]);
    expect(routing.messageId).toBe(routingRow.message_id);
    expect(header(routing, 'x-email-kind')).toBe('routing');
    expect(header(routing, 'x-inquiry-reference')).toBe(inquiry.reference);
    expect(routing.subject).toContain(inquiry.reference);
    expect(routing.subject).toContain('Two-week wait referrals');
    expect(routing.replyTo).toEqual([dto.email]);
    expect(header(routing, 'reply-to')).toBeTruthy();
    expect(routing.raw).toMatch(/^Reply-To: Aisha Khan <[^>]+>\r?$/m);
    for (const part of [routing.text, routing.html!]) {
      expect(part).toContain(`${t.config.publicBaseUrl}/admin/inquiries/${inquiry.id}`);
      expect(part).toContain(String(dto.message));
      expect(part).toContain(String(dto.organisation));
      expect(part).toContain(String(dto.sourceUrl));
    }
    expect(routing.text).toContain(String(dto.email));
    expect(copiesOf(inquiry.reference)).toHaveLength(2);
  });

  it('escapes what a person typed in every HTML part', async () => {
    const inquiry = await submit({
      name: 'Mallory <b>Bold</b>',
      organisation: '<img src=x onerror=alert(1)>',
      subject: 'Hello <script>alert("s")</script>',
      message: 'Please look at this: <script>alert("xss")</script> & <iframe src="javascript:alert(1)">frame</iframe>',
    });
    await smtp.waitForCount(2, { reference: inquiry.reference });
    for (const m of copiesOf(inquiry.reference)) {
      expect(m.html).toBeTruthy();
      expect(m.html).not.toContain('<script>');
      expect(m.html).not.toContain('<img src=x');
      expect(m.html).not.toContain('<b>Bold</b>');
      expect(m.html).not.toContain('<iframe');
      expect(m.html).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;');
      // The text part is plain text: it shows what was typed, unchanged.
      expect(m.text).toContain('<script>alert("xss")</script> & <iframe src="javascript:alert(1)">frame</iframe>');
    }
  });

  it('retries SMTP 451 with backoff and delivers each email exactly once', async () => {
    const refused = new Map<string, number>();
    smtp.respondWith((_envelope, _n, message) => {
      const times = refused.get(message.messageId!) ?? 0;
      if (times >= 2) return null;
      refused.set(message.messageId!, times + 1);
      return { code: 451, message: 'Temporary local problem, try again later' };
    });
    const inquiry = await submit();
    await settled([inquiry.id]);
    const copies = copiesOf(inquiry.reference);
    expect(copies.map((m) => header(m, 'x-email-kind')).sort()).toEqual(['acknowledgement', 'routing']);
    expect(new Set(copies.map((m) => m.messageId)).size).toBe(2);
    for (const row of await rows(inquiry.id)) {
      expect(row).toMatchObject({ status: 'sent', attempts: 3 });
      expect(row.last_error).toMatch(/451/);
      expect(refused.get(row.message_id)).toBe(2);
    }
  });

  it('fails a row at once on SMTP 550, after one attempt, and still sends the other email', async () => {
    const email = `refused.${Date.now()}@example.org`;
    smtp.respondWith((envelope) => (envelope.to.includes(email) ? { code: 550, message: 'No such user here' } : null));
    const inquiry = await submit({ email });
    await settled([inquiry.id]);
    const [ack, routing] = await rows(inquiry.id);
    expect(ack).toMatchObject({ kind: 'acknowledgement', status: 'failed', attempts: 1, sent_at: null });
    expect(ack.last_error).toMatch(/550/);
    expect(routing).toMatchObject({ kind: 'routing', status: 'sent', attempts: 1 });
    expect(copiesOf(inquiry.reference).map((m) => header(m, 'x-email-kind'))).toEqual(['routing']);
  });

  it("removes an invitation's one-time link from its outbox row once it is sent; the link in the email still works", async () => {
    const admin = await createStaff(t, 'admin');
    const email = `invited.${Date.now()}@charity.example`;
    await request(t.http).post('/api/admin/staff').set('Authorization', admin.auth).send({ email, name: 'Ina Vite', role: 'officer' }).expect(201);
    const mail = await smtp.waitFor({ kind: 'invitation', to: email });
    const link = /https?:\/\/\S+\/admin\/set-password\?token=[\w%-]+/.exec(mail.text)?.[0];
    expect(link).toBeDefined();
    let row: { status: string; payload: Record<string, unknown> } | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      [row] = await t.db.query(`SELECT status, payload FROM outbound_emails WHERE kind = 'invitation' AND recipient = $1`, [email]);
      if (row?.status === 'sent') break;
    }
    expect(row).toMatchObject({ status: 'sent', payload: { name: 'Ina Vite', expiresInDays: 7 } });
    expect(row!.payload).not.toHaveProperty('setPasswordUrl');
    const token = new URL(link!).searchParams.get('token');
    expect(JSON.stringify(row)).not.toContain(token!);
    await request(t.http).post('/api/admin/auth/set-password').send({ token, password: 'a brand new password' }).expect(204);
  });

  it('delivers every email exactly once after the SMTP server is down for several seconds', async () => {
    await smtp.stop();
    const inquiries = [await submit(), await submit(), await submit()];
    const ids = inquiries.map((i) => i.id);
    // Wait until the outage has really been felt: every row has failed at least once.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM outbound_emails WHERE inquiry_id = ANY($1::uuid[]) AND last_error IS NOT NULL`, [ids]);
      if (n === 6 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 3_000));
    const during: { status: string }[] = await t.db.query(`SELECT status FROM outbound_emails WHERE inquiry_id = ANY($1::uuid[])`, [ids]);
    expect(during.every((r) => r.status === 'pending' || r.status === 'sending')).toBe(true);

    await smtp.restart();
    await settled(ids, 45_000);
    for (const inquiry of inquiries) {
      const copies = copiesOf(inquiry.reference);
      expect(copies.map((m) => header(m, 'x-email-kind')).sort()).toEqual(['acknowledgement', 'routing']);
      for (const row of await rows(inquiry.id)) expect(row).toMatchObject({ status: 'sent' });
    }
    expect(smtp.duplicates().size).toBe(0);
  }, 120_000);
});

describe('The embedded default: no SMTP_URL', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-inbox-mail-'));
    t = await createTestApp({ env: { WORKERS: 'inline' }, config: { mail: FAST_MAIL, mailDir: dir } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each email as an .eml file, once, and marks it sent', async () => {
    const { body: inquiry } = await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201);
    const deadline = Date.now() + 20_000;
    let files: string[] = [];
    while (Date.now() < deadline) {
      files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
      if (files.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(files).toHaveLength(2);
    const parsed = await Promise.all(files.map((f) => simpleParser(readFileSync(join(dir, f)))));
    expect(parsed.map((m) => String(m.headers.get('x-email-kind'))).sort()).toEqual(['acknowledgement', 'routing']);
    for (const m of parsed) expect(m.headers.get('x-inquiry-reference')).toBe(inquiry.reference);
    // The file is written before the row is marked sent: wait for the ledger to catch up.
    let rows: { status: string; smtp_response: string; message_id: string }[] = [];
    while (Date.now() < deadline) {
      rows = await t.db.query(`SELECT status, smtp_response, message_id FROM outbound_emails WHERE inquiry_id = $1`, [inquiry.id]);
      if (rows.every((r) => r.status === 'sent')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows.every((r) => r.status === 'sent' && r.smtp_response.startsWith('written '))).toBe(true);
    expect(parsed.map((m) => m.messageId).sort()).toEqual(rows.map((r) => r.message_id).sort());
  });
});
