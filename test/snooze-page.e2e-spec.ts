import { createTestApp, TestApp } from './support/app.js';
import { insertInquiry } from './inbox-fixtures.js';
import { createStaffWithPassword, webSignIn } from './support/web.js';

/** "Snooze until…" on the inquiry page (SPEC §9): presets, a date and time, the problem in words, "Wake it now". */
describe('snoozing from the inquiry page', () => {
  let t: TestApp;
  let signedIn: Awaited<ReturnType<typeof webSignIn>>;

  beforeAll(async () => {
    t = await createTestApp();
    const officer = await createStaffWithPassword(t, 'officer', { name: 'Olivia Officer' });
    signedIn = await webSignIn(t, officer.email);
  });
  afterAll(async () => t.close());

  const snoozedUntil = async (id: string) => (await t.db.query(`SELECT snoozed_until FROM inquiries WHERE id = $1`, [id]))[0].snoozed_until;

  it('snoozes until tomorrow 09:00 UK time, says so, and wakes it by hand', async () => {
    const inquiry = await insertInquiry(t, { status: 'open' });
    const page = await signedIn.agent.get(`/admin/inquiries/${inquiry.reference}`).expect(200);
    expect(page.text).toContain('<label class="label" for="snooze-when">Snooze until</label>');
    const res = await signedIn.agent.post(`/admin/inquiries/${inquiry.reference}/snooze`).type('form')
      .send({ _csrf: signedIn.csrf, when: 'tomorrow', at: '' }).expect(303);
    expect(res.headers.location).toBe(`/admin/inquiries/${inquiry.reference}`);
    const until = await snoozedUntil(inquiry.id);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit' }).format(until)).toBe('09:00');
    const after = await signedIn.agent.get(res.headers.location).expect(200);
    expect(after.text).toMatch(/Snoozed until \d{1,2} \w{3} \d{4}, 09:00 \(UK time\)/);
    expect(after.text).toContain('Wake it now');
    await signedIn.agent.post(`/admin/inquiries/${inquiry.reference}/wake`).type('form').send({ _csrf: signedIn.csrf }).expect(303);
    expect(await snoozedUntil(inquiry.id)).toBeNull();
    const audit = await t.db.query(`SELECT action FROM audit_events WHERE inquiry_id = $1 ORDER BY created_at`, [inquiry.id]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['inquiry.snoozed', 'inquiry.woken']);
  });

  it('takes a date and time, and refuses a missing or past one with the error summary (400)', async () => {
    const inquiry = await insertInquiry(t, { status: 'new' });
    const post = (fields: Record<string, string>) =>
      signedIn.agent.post(`/admin/inquiries/${inquiry.reference}/snooze`).type('form').send({ _csrf: signedIn.csrf, ...fields });
    const missing = await post({ when: 'at', at: '' }).expect(400);
    expect(missing.text).toContain('There is a problem');
    expect(missing.text).toContain('href="#snooze-at">Enter the date and time to snooze until');
    const past = await post({ when: 'at', at: '2020-01-01T09:00' }).expect(400);
    expect(past.text).toContain('Enter a date and time in the future');
    expect(past.text).toContain('value="2020-01-01T09:00"');
    expect(await snoozedUntil(inquiry.id)).toBeNull();
    await post({ when: 'at', at: '2999-06-01T14:30' }).expect(303);
    expect(new Date(await snoozedUntil(inquiry.id)).toISOString()).toBe('2999-06-01T13:30:00.000Z');
  });

  it('offers no snooze for a resolved inquiry, and refuses one posted anyway (422)', async () => {
    const inquiry = await insertInquiry(t, { status: 'resolved' });
    const page = await signedIn.agent.get(`/admin/inquiries/${inquiry.reference}`).expect(200);
    expect(page.text).not.toContain('id="snooze-heading"');
    const res = await signedIn.agent.post(`/admin/inquiries/${inquiry.reference}/snooze`).type('form')
      .send({ _csrf: signedIn.csrf, when: 'monday' }).expect(422);
    expect(res.text).toContain('Only new, open and waiting inquiries can be snoozed');
  });

  it('needs the session\'s CSRF token', async () => {
    const inquiry = await insertInquiry(t, { status: 'open' });
    await signedIn.agent.post(`/admin/inquiries/${inquiry.reference}/snooze`).type('form').send({ when: 'tomorrow' }).expect(403);
    expect(await snoozedUntil(inquiry.id)).toBeNull();
  });
});
