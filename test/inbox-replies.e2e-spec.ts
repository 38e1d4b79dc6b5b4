import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { TestSmtpServer } from './support/smtp.js';
import { createStaff, TestStaff } from './support/staff.js';

describe('Staff replies reach the enquirer by email, threaded under the acknowledgement', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let officer: TestStaff;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      env: { WORKERS: 'inline', SMTP_URL: smtp.url },
      config: { mail: { backoffMs: 200, maxAttempts: 12, relayPollMs: 200, leaseMs: 3_000, concurrency: 4, maxConnections: 2 } },
    });
    officer = await createStaff(t, 'officer', { name: 'Olivia Officer' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const admin = (method: 'get' | 'post', path: string) => request(t.http)[method](`/api/admin/inquiries/${path}`).set('Authorization', officer.auth);
  const toEnquirer = (email: string) => smtp.messages.filter((m) => m.to.includes(email));

  it('sends a reply with the reference in the subject and In-Reply-To/References naming the acknowledgement', async () => {
    const dto = validInquiry({ subject: 'Bowel screening age' });
    const { body: inquiry } = await request(t.http).post('/api/inquiries').send(dto).expect(201);
    const ack = await smtp.waitFor({ reference: inquiry.reference, kind: 'acknowledgement' });
    expect(ack.messageId).toMatch(/^<.+>$/);

    await admin('post', `${inquiry.id}/replies`).send({ body: 'Screening starts at 50 in England.' }).expect(202);
    const reply = await smtp.waitFor({ reference: inquiry.reference, kind: 'reply' });
    expect(reply.to).toEqual([dto.email]);
    expect(reply.subject).toBe(`Re: Bowel screening age [${inquiry.reference}]`);
    expect(reply.inReplyTo).toBe(ack.messageId);
    expect(reply.references).toEqual([ack.messageId]);
    expect(reply.text).toContain('Screening starts at 50 in England.');

    // The next reply answers this one and carries the whole thread, the acknowledgement first.
    await admin('post', `${inquiry.id}/replies`).send({ body: 'And here is a link to the programme.' }).expect(202);
    const second = await smtp.waitFor((m) => m.subject.includes(inquiry.reference) && m.text.includes('link to the programme'));
    expect(second.inReplyTo).toBe(reply.messageId);
    expect(second.references).toEqual([ack.messageId, reply.messageId]);

    const detail = (await admin('get', inquiry.id).expect(200)).body;
    expect(detail.status).toBe('waiting');
    expect(detail.emails.filter((e: { kind: string }) => e.kind === 'reply').map((e: { messageId: string }) => e.messageId))
      .toEqual([reply.messageId, second.messageId]);
  });

  it('sends nothing for an internal note', async () => {
    const dto = validInquiry();
    const { body: inquiry } = await request(t.http).post('/api/inquiries').send(dto).expect(201);
    await smtp.waitFor({ reference: inquiry.reference, kind: 'acknowledgement' });
    await smtp.waitFor({ reference: inquiry.reference, kind: 'routing' });
    const before = smtp.find({ reference: inquiry.reference }).length;

    await admin('post', `${inquiry.id}/notes`).send({ body: 'INTERNAL: do not send this to anyone' }).expect(201);
    // A reply queued after the note is delivered after it would have been; by then nothing else has arrived.
    await admin('post', `${inquiry.id}/replies`).send({ body: 'Our answer.' }).expect(202);
    await smtp.waitFor({ reference: inquiry.reference, kind: 'reply' });

    const all = smtp.find({ reference: inquiry.reference });
    expect(all).toHaveLength(before + 1);
    expect(smtp.messages.some((m) => m.text.includes('INTERNAL: do not send'))).toBe(false);
    expect(toEnquirer(dto.email as string).map((m) => String(m.headers.get('x-email-kind')))).toEqual(['acknowledgement', 'reply']);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbound_emails WHERE inquiry_id = $1`, [inquiry.id]);
    expect(n).toBe(3);
  });
});
