import { jest } from '@jest/globals';
import { Queue } from 'bullmq';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { InboundMatcher } from '../src/inbound/inbound-matcher.js';
import { InboundSmtpListener } from '../src/inbound/inbound-smtp.listener.js';
import { MAINTENANCE_QUEUE } from '../src/privacy/maintenance.queue.js';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { TestSmtpServer } from './support/smtp.js';
import { createStaff, TestStaff } from './support/staff.js';

const DOMAIN = 'inbox.test';
const SECRET = 'webhook-secret-for-tests-0123456789';

interface Sent {
  id: string;
  reference: string;
  email: string;
  /** The acknowledgement's Message-ID and signed Reply-To. */
  ackMessageId: string;
  replyTo: string;
}

describe('inbound email: enquirers answer by email', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: TestStaff;
  let officer: TestStaff;
  let listener: ReturnType<typeof nodemailer.createTransport>;
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true });

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      env: {
        WORKERS: 'inline', SMTP_URL: smtp.url, MAIL_DOMAIN: DOMAIN, INBOUND_SMTP_PORT: '0', INBOUND_WEBHOOK_SECRET: SECRET,
      },
    });
    admin = await createStaff(t, 'admin');
    officer = await createStaff(t, 'officer');
    const port = t.app.get(InboundSmtpListener, { strict: false }).port!;
    listener = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    listener?.close();
    await t?.close();
    await smtp?.close();
  });

  /** A new inquiry (by the public API), assigned to the officer and set to `status`. */
  async function inquiry(status = 'waiting'): Promise<Sent> {
    const body = validInquiry();
    const res = await request(t.http).post('/api/inquiries').send(body).expect(201);
    await t.db.query(`UPDATE inquiries SET status = $2, assignee_id = $3, resolved_at = CASE WHEN $2 = 'resolved' THEN now() END WHERE id = $1`,
      [res.body.id, status, officer.id]);
    const [ack] = await t.db.query(
      `SELECT message_id, reply_to FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'acknowledgement'`, [res.body.id]);
    return { id: res.body.id, reference: res.body.reference, email: body.email as string, ackMessageId: ack.message_id, replyTo: ack.reply_to };
  }

  /** An answer as the enquirer's mail client would write it: new text on top, the acknowledgement quoted below. */
  function answer(sent: Sent, overrides: Mail.Options = {}): Mail.Options {
    return {
      from: `Aisha Khan <${sent.email}>`,
      to: sent.replyTo,
      subject: `Re: Your question to the policy team [${sent.reference}]`,
      messageId: `<${randomUUID()}@mail.example.org>`,
      inReplyTo: sent.ackMessageId,
      references: [sent.ackMessageId],
      text: `Thank you, one more question about ${sent.reference}.\n\nOn Tue, 24 Nov 2026 at 10:00, Policy team <policy@${DOMAIN}> wrote:\n> Dear Aisha,\n> Thank you for your question.\n`,
      ...overrides,
    };
  }

  const raw = async (message: Mail.Options): Promise<Buffer> => (await builder.sendMail(message)).message as Buffer;
  const postRaw = (body: Buffer, auth = `Bearer ${SECRET}`) =>
    request(t.http).post('/api/inbound/email').set('Authorization', auth).set('Content-Type', 'message/rfc822').send(body);

  /** Waits until the worker has processed the stored message with this Message-ID. */
  async function processed(messageId: string): Promise<{ id: string; status: string; hold_reason: string | null; inquiry_id: string | null }> {
    for (let i = 0; i < 300; i++) {
      const [row] = await t.db.query(`SELECT id, status, hold_reason, inquiry_id FROM inbound_emails WHERE message_id = $1`, [messageId]);
      if (row && row.status !== 'received') return row;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [row] = await t.db.query(`SELECT status, enqueued_at, error, attempts FROM inbound_emails WHERE message_id = $1`, [messageId]);
    throw new Error(`inbound message ${messageId} was not processed: ${JSON.stringify(row)}`);
  }

  const conversation = async (inquiryId: string) =>
    (await t.db.query(`SELECT direction, body, inbound_email_id FROM conversation_messages WHERE inquiry_id = $1 ORDER BY created_at`,
      [inquiryId])) as { direction: string; body: string; inbound_email_id: string }[];
  const inquiryRow = async (id: string) =>
    (await t.db.query(`SELECT status, version, resolved_at FROM inquiries WHERE id = $1`, [id]))[0];

  it('signs the acknowledgement\'s Reply-To for its inquiry', async () => {
    const sent = await inquiry('new');
    expect(sent.replyTo).toMatch(new RegExp(`^reply\\+${sent.reference}\\.[0-9a-f]{16}@${DOMAIN.replace('.', '\\.')}$`));
    const ack = await smtp.waitFor({ reference: sent.reference, kind: 'acknowledgement' });
    expect(ack.replyTo).toEqual([sent.replyTo]);
  });

  it('puts a reply sent over SMTP on the inquiry, reopens it and tells the assignee', async () => {
    const sent = await inquiry('waiting');
    const before = await inquiryRow(sent.id);
    const message = answer(sent);
    await listener.sendMail(message);

    const row = await processed(message.messageId!);
    expect(row).toMatchObject({ status: 'attached', inquiry_id: sent.id });
    const messages = await conversation(sent.id);
    expect(messages).toEqual([{ direction: 'inbound', body: `Thank you, one more question about ${sent.reference}.`, inbound_email_id: row.id }]);
    const after = await inquiryRow(sent.id);
    expect(after.status).toBe('open');
    expect(after.version).toBe(before.version + 1);
    const [audit] = await t.db.query(`SELECT actor_id, changes FROM audit_events WHERE inquiry_id = $1 AND action = 'inquiry.reopened'`, [sent.id]);
    expect(audit).toEqual({ actor_id: null, changes: { status: { from: 'waiting', to: 'open' } } });
    const notices = await t.db.query(`SELECT recipient, payload FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'notification'`, [sent.id]);
    expect(notices).toHaveLength(1);
    expect(notices[0].recipient).toBe(officer.email);
    expect(JSON.stringify(notices[0].payload)).not.toContain('one more question');
    const notice = await smtp.waitFor({ reference: sent.reference, kind: 'notification' });
    expect(notice.text).not.toContain('one more question');

    // The stored raw message is exactly what arrived, quoted history and all.
    const [stored] = await t.db.query(`SELECT raw, source, from_address FROM inbound_emails WHERE id = $1`, [row.id]);
    expect(stored.source).toBe('smtp');
    expect(stored.from_address).toBe(sent.email.toLowerCase());
    expect(stored.raw.toString('utf8')).toContain('> Thank you for your question.');
  });

  it('puts a reply posted to the webhook on the inquiry and reopens a resolved one', async () => {
    const sent = await inquiry('resolved');
    const message = answer(sent);
    const res = await postRaw(await raw(message)).expect(202);
    expect(res.body).toEqual({ status: 'stored', id: expect.any(String) });

    const row = await processed(message.messageId!);
    expect(row).toMatchObject({ id: res.body.id, status: 'attached', inquiry_id: sent.id });
    expect(await conversation(sent.id)).toHaveLength(1);
    const after = await inquiryRow(sent.id);
    expect(after.status).toBe('open');
    expect(after.resolved_at).toBeNull();
  });

  it('matches by In-Reply-To alone when the reply goes to another of our addresses', async () => {
    const sent = await inquiry('waiting');
    const message = answer(sent, { to: `policy@${DOMAIN}`, text: 'My mother\'s NHS number is 943 476 5919.' });
    await listener.sendMail(message);
    expect(await processed(message.messageId!)).toMatchObject({ status: 'attached', inquiry_id: sent.id });
    // The sensitive-data detector looks at answers too.
    const [row] = await t.db.query(`SELECT sensitive_flags FROM inquiries WHERE id = $1`, [sent.id]);
    expect(row.sensitive_flags).toEqual(['nhs_number']);
  });

  it('stores the same message once, through either door', async () => {
    const sent = await inquiry('waiting');
    const message = answer(sent);
    const bytes = await raw(message);
    const first = await postRaw(bytes).expect(202);
    const second = await postRaw(bytes).expect(202);
    expect(second.body).toEqual({ status: 'duplicate', id: first.body.id });
    await listener.sendMail(message); // the SMTP door answers 250 too
    await processed(message.messageId!);
    const rows = await t.db.query(`SELECT count(*)::int AS n FROM inbound_emails WHERE message_id = $1`, [message.messageId]);
    expect(rows[0].n).toBe(1);
    expect(await conversation(sent.id)).toHaveLength(1);
  });

  it('marks the same answer from the same sender under a new Message-ID as a duplicate', async () => {
    const sent = await inquiry('waiting');
    const first = answer(sent);
    await postRaw(await raw(first)).expect(202);
    expect((await processed(first.messageId!)).status).toBe('attached');
    const again = answer(sent);
    await postRaw(await raw(again)).expect(202);
    expect((await processed(again.messageId!)).status).toBe('duplicate');
    expect(await conversation(sent.id)).toHaveLength(1);
  });

  describe('the holding pen', () => {
    async function expectHeld(sent: Sent, message: Mail.Options, reason: string) {
      const statusBefore = (await inquiryRow(sent.id)).status;
      await postRaw(await raw(message)).expect(202);
      const row = await processed(message.messageId!);
      expect(row).toMatchObject({ status: 'held', hold_reason: reason, inquiry_id: null });
      expect(await conversation(sent.id)).toEqual([]);
      expect((await inquiryRow(sent.id)).status).toBe(statusBefore);
      return row;
    }

    it('holds a message whose reply address signature was tampered with', async () => {
      const sent = await inquiry('waiting');
      const [local, domain] = sent.replyTo.split('@');
      const tampered = `${local.slice(0, -1)}${local.endsWith('a') ? 'b' : 'a'}@${domain}`;
      await expectHeld(sent, answer(sent, { to: tampered, inReplyTo: undefined, references: undefined }), 'bad_signature');
    });

    it('holds a message to a valid reply address from someone other than the enquirer', async () => {
      const sent = await inquiry('waiting');
      await expectHeld(sent, answer(sent, { from: 'Mallory <mallory@attacker.example>' }), 'sender_mismatch');
    });

    it('holds a message threaded under our Message-ID from someone other than the enquirer', async () => {
      const sent = await inquiry('waiting');
      await expectHeld(sent, answer(sent, { from: 'mallory@attacker.example', to: `policy@${DOMAIN}` }), 'sender_mismatch');
    });

    it('holds a message that only names the reference in its subject, even from the enquirer', async () => {
      const sent = await inquiry('waiting');
      await expectHeld(sent, answer(sent, { to: `policy@${DOMAIN}`, inReplyTo: undefined, references: undefined }), 'subject_reference_only');
    });

    it('lists held messages for admins only, and an admin can attach one by hand', async () => {
      const sent = await inquiry('waiting');
      const message = answer(sent, { from: 'aisha.other.address@example.net', text: 'Writing from my other address.' });
      const held = await expectHeld(sent, message, 'sender_mismatch');

      await request(t.http).get('/api/admin/holding-pen').set('Authorization', officer.auth).expect(403);
      await request(t.http).get('/api/admin/holding-pen').expect(401);
      const page = await request(t.http).get('/api/admin/holding-pen?limit=100').set('Authorization', admin.auth).expect(200);
      const item = page.body.items.find((i: { id: string }) => i.id === held.id);
      expect(item).toMatchObject({ status: 'held', holdReason: 'sender_mismatch', from: 'aisha.other.address@example.net', body: 'Writing from my other address.' });

      const small = await request(t.http).get('/api/admin/holding-pen?limit=1').set('Authorization', admin.auth).expect(200);
      expect(small.body.items).toHaveLength(1);
      expect(small.body.nextCursor).toEqual(expect.any(String));
      const next = await request(t.http).get(`/api/admin/holding-pen?limit=1&cursor=${small.body.nextCursor}`).set('Authorization', admin.auth).expect(200);
      expect(next.body.items[0].id).not.toBe(small.body.items[0].id);

      await request(t.http).post(`/api/admin/holding-pen/${held.id}/attach`).set('Authorization', officer.auth)
        .send({ inquiryId: sent.id }).expect(403);
      const attached = await request(t.http).post(`/api/admin/holding-pen/${held.id}/attach`).set('Authorization', admin.auth)
        .send({ inquiryId: sent.id }).expect(200);
      expect(attached.body).toMatchObject({ id: held.id, status: 'attached', inquiryId: sent.id });
      expect((await conversation(sent.id)).map((m) => m.body)).toEqual(['Writing from my other address.']);
      expect((await inquiryRow(sent.id)).status).toBe('open');
      await request(t.http).post(`/api/admin/holding-pen/${held.id}/attach`).set('Authorization', admin.auth)
        .send({ inquiryId: sent.id }).expect(409);
    });
  });

  it('keeps a message whose processing throws, and an admin can reprocess it', async () => {
    const sent = await inquiry('waiting');
    const matcher = t.app.get(InboundMatcher, { strict: false });
    const spy = jest.spyOn(matcher, 'match').mockRejectedValueOnce(new Error('matcher exploded'));
    const message = answer(sent);
    const bytes = await raw(message);
    await postRaw(bytes).expect(202);
    const failed = await processed(message.messageId!);
    spy.mockRestore();
    expect(failed.status).toBe('failed');
    const [stored] = await t.db.query(`SELECT raw, error FROM inbound_emails WHERE id = $1`, [failed.id]);
    expect(Buffer.compare(stored.raw, bytes)).toBe(0);
    expect(stored.error).toContain('matcher exploded');
    expect(await conversation(sent.id)).toEqual([]);

    await request(t.http).post(`/api/admin/inbound/${failed.id}/reprocess`).set('Authorization', officer.auth).expect(403);
    await request(t.http).post(`/api/admin/inbound/${failed.id}/reprocess`).set('Authorization', admin.auth).expect(202);
    expect(await processed(message.messageId!)).toMatchObject({ status: 'attached', inquiry_id: sent.id });
    expect(await conversation(sent.id)).toHaveLength(1);
    await request(t.http).post(`/api/admin/inbound/${failed.id}/reprocess`).set('Authorization', admin.auth).expect(409);
  });

  it('refuses a recipient outside MAIL_DOMAIN with 550 (no open relay) and stores nothing', async () => {
    const before = (await t.db.query(`SELECT count(*)::int AS n FROM inbound_emails`))[0].n;
    const err = await listener.sendMail({ from: 'someone@example.org', to: 'victim@elsewhere.example', subject: 'relay?', text: 'x' })
      .then(() => null, (e: { responseCode?: number }) => e);
    expect(err?.responseCode).toBe(550);
    const err2 = await listener.sendMail({ from: 'someone@example.org', to: `someone@sub.${DOMAIN}`, subject: 'relay?', text: 'x' })
      .then(() => null, (e: { responseCode?: number }) => e);
    expect(err2?.responseCode).toBe(550);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM inbound_emails`))[0].n).toBe(before);
  });

  describe('the webhook door', () => {
    it('answers 401 without the right secret and stores nothing', async () => {
      const bytes = await raw({ from: 'a@example.org', to: `policy@${DOMAIN}`, subject: 's', text: 'x' });
      await postRaw(bytes, 'Bearer wrong-secret').expect(401);
      await postRaw(bytes, '').expect(401);
      await postRaw(bytes, SECRET).expect(401);
    });

    it('answers 415 for a body that is not message/rfc822', async () => {
      await request(t.http).post('/api/inbound/email').set('Authorization', `Bearer ${SECRET}`)
        .set('Content-Type', 'application/json').send({ raw: 'x' }).expect(415);
      await request(t.http).post('/api/inbound/email').set('Authorization', `Bearer ${SECRET}`)
        .set('Content-Type', 'text/plain').send('From: a@example.org\r\n\r\nhello').expect(415);
    });
  });

  it('registers the daily jobs as BullMQ Job Schedulers', async () => {
    const queue = new Queue(MAINTENANCE_QUEUE, { connection: { url: t.config.redisUrl }, prefix: t.config.queuePrefix });
    try {
      let ids: string[] = [];
      for (let i = 0; i < 50 && ids.length < 2; i++) {
        ids = (await queue.getJobSchedulers()).map((s) => s.key).sort();
        if (ids.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ids).toEqual(['digest-daily', 'retention-daily']);
    } finally {
      await queue.close();
    }
  });
});

describe('inbound email: doors that are off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('has no webhook without INBOUND_WEBHOOK_SECRET and no SMTP listener without INBOUND_SMTP_PORT', async () => {
    await request(t.http).post('/api/inbound/email').set('Authorization', 'Bearer anything')
      .set('Content-Type', 'message/rfc822').send(Buffer.from('From: a@example.org\r\n\r\nhello')).expect(404);
    expect(t.app.get(InboundSmtpListener, { strict: false }).port).toBeNull();
  });
});
