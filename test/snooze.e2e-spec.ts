import nodemailer from 'nodemailer';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SnoozeService } from '../src/admin/inbox/snooze.service.js';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { TestSmtpServer } from './support/smtp.js';
import { createStaff, TestStaff } from './support/staff.js';
import { webSignIn, createStaffWithPassword } from './support/web.js';
import { insertInquiry } from './inbox-fixtures.js';

const DOMAIN = 'inbox.test';
const SECRET = 'webhook-secret-for-tests-0123456789';

/** The count shown beside each view link of the inbox page. */
function viewCounts(html: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of html.matchAll(/class="views-nav__link"[^>]*>([^<]+?) <span class="count inbox-count">([\d,]+)/g)) {
    out[m[1].trim()] = Number(m[2].replace(/,/g, ''));
  }
  return out;
}

describe('Snooze (SPEC §9)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let officer: TestStaff;
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true });

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ env: { WORKERS: 'inline', SMTP_URL: smtp.url, MAIL_DOMAIN: DOMAIN, INBOUND_WEBHOOK_SECRET: SECRET } });
    officer = await createStaff(t, 'officer', { name: 'Olivia Officer' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const snooze = (id: string, body: unknown, as: TestStaff = officer) =>
    request(t.http).post(`/api/admin/inquiries/${id}/snooze`).set('Authorization', as.auth).send(body as object);
  const row = async (id: string) =>
    (await t.db.query(`SELECT status, snoozed_until, version FROM inquiries WHERE id = $1`, [id]))[0];
  const audit = async (id: string) =>
    (await t.db.query(`SELECT action, changes FROM audit_events WHERE inquiry_id = $1 ORDER BY created_at, id`, [id])) as { action: string; changes: any }[];

  it('hides a snoozed inquiry from the working views and lists it in Snoozed, with its count', async () => {
    const staff = await createStaffWithPassword(t, 'officer');
    const { agent } = await webSignIn(t, staff.email);
    const before = viewCounts((await agent.get('/admin/inbox').expect(200)).text);
    const a = await insertInquiry(t, { status: 'open', assigneeId: staff.id, subject: 'Snooze me please', expectedResponseBy: '2000-01-01' });
    const b = await insertInquiry(t, { status: 'waiting', subject: 'Leave me awake' });
    let counts = viewCounts((await agent.get('/admin/inbox').expect(200)).text);
    expect(counts).toMatchObject({ 'All open': before['All open'] + 2, Mine: before.Mine + 1, Overdue: before.Overdue + 1, Snoozed: before.Snoozed });

    const res = await snooze(a.id, { until: '2999-01-01T09:00' }).expect(200);
    expect(res.body).toEqual({ id: a.id, reference: a.reference, snoozedUntil: '2999-01-01T09:00:00.000Z' });
    counts = viewCounts((await agent.get('/admin/inbox').expect(200)).text);
    expect(counts).toMatchObject({
      'All open': before['All open'] + 1, Mine: before.Mine, Overdue: before.Overdue, Snoozed: before.Snoozed + 1,
    });
    for (const view of ['open', 'mine', 'overdue', 'unassigned', 'waiting']) {
      expect((await agent.get(`/admin/inbox?view=${view}`).expect(200)).text).not.toContain(a.reference);
    }
    const snoozed = (await agent.get('/admin/inbox?view=snoozed').expect(200)).text;
    expect(snoozed).toContain(a.reference);
    expect(snoozed).not.toContain(b.reference);
    expect((await audit(a.id)).map((e) => e.action)).toEqual(['inquiry.snoozed']);
  });

  it('wakes at its time through the sweep (once, however often it runs) and tells the assignee', async () => {
    const a = await insertInquiry(t, { status: 'open', assigneeId: officer.id });
    await snooze(a.id, { until: '2999-01-01' }).expect(200);
    // A short snooze: its time has come.
    await t.db.query(`UPDATE inquiries SET snoozed_until = now() - interval '1 second' WHERE id = $1`, [a.id]);
    const sweep = t.app.get(SnoozeService);
    await Promise.all([sweep.wakeDue(), sweep.wakeDue()]);
    await sweep.wakeDue();
    expect((await row(a.id)).snoozed_until).toBeNull();
    expect((await audit(a.id)).map((e) => e.action)).toEqual(['inquiry.snoozed', 'inquiry.woken']);
    const notices = await t.db.query(`SELECT recipient, subject, payload FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'notification'`, [a.id]);
    expect(notices).toEqual([{ recipient: officer.email, subject: expect.stringContaining(a.reference), payload: expect.objectContaining({ event: 'snooze-woken' }) }]);
  });

  it('wakes at once when the enquirer answers by email', async () => {
    const created = await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201);
    const id = created.body.id as string;
    await t.db.query(`UPDATE inquiries SET status = 'waiting', assignee_id = $2 WHERE id = $1`, [id, officer.id]);
    await snooze(id, { until: '2999-01-01T09:00:00Z' }).expect(200);
    const [ack] = await t.db.query(`SELECT message_id, reply_to, recipient FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'acknowledgement'`, [id]);
    const messageId = `<${randomUUID()}@mail.example.org>`;
    const mail = await builder.sendMail({
      from: ack.recipient, to: ack.reply_to, subject: `Re: Your question [${created.body.reference}]`, messageId,
      inReplyTo: ack.message_id, references: [ack.message_id], text: 'One more thing about my question.',
    });
    await request(t.http).post('/api/inbound/email').set('Authorization', `Bearer ${SECRET}`)
      .set('Content-Type', 'message/rfc822').send(mail.message as Buffer).expect(202);
    let status = 'received';
    for (let i = 0; i < 300 && status === 'received'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await t.db.query(`SELECT status FROM inbound_emails WHERE message_id = $1`, [messageId]))[0]?.status ?? 'received';
    }
    expect(status).toBe('attached');
    expect(await row(id)).toMatchObject({ status: 'open', snoozed_until: null });
    const events = await audit(id);
    // Woken and reopened in one transaction: the same instant, in no particular order.
    expect(events.map((e) => e.action).sort()).toEqual(['inquiry.reopened', 'inquiry.snoozed', 'inquiry.woken']);
    expect(events.find((e) => e.action === 'inquiry.woken')!.changes.reason).toEqual({ from: null, to: 'enquirer-answered' });
  });

  it('takes presets in the page and wakes by hand; refuses the past, junk and finished inquiries', async () => {
    const a = await insertInquiry(t, { status: 'new' });
    await snooze(a.id, { until: '2000-01-01T09:00' }).expect(400);
    await snooze(a.id, { until: 'tomorrow' }).expect(400);
    await snooze(a.id, {}).expect(400);
    const done = await insertInquiry(t, { status: 'resolved' });
    await snooze(done.id, { until: '2999-01-01' }).expect(422);
    await snooze('POL-ZZZZZZ', { until: '2999-01-01' }).expect(404);
    const state = await t.app.get(SnoozeService).snooze(a.id, { preset: 'monday' }, { ...officer, active: true } as never);
    const at = new Date(state.snoozedUntil!);
    expect(at.getTime()).toBeGreaterThan(Date.now());
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(at))
      .toBe('Monday 09:00');
    const res = await request(t.http).delete(`/api/admin/inquiries/${a.reference}/snooze`).set('Authorization', officer.auth).expect(200);
    expect(res.body.snoozedUntil).toBeNull();
    expect((await row(a.id)).snoozed_until).toBeNull();
  });
});
