import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { insertInquiry } from './inbox-fixtures.js';
import { createStaffWithPassword, webSignIn } from './support/web.js';
import type { TestStaff } from './support/staff.js';

type Agent = ReturnType<typeof request.agent>;
interface Web { agent: Agent; csrf: string }

/** A message written straight to the holding pen (as matching leaves it), raw bytes included. */
export async function holdMessage(
  t: TestApp, m: { from?: string; subject?: string; body?: string; reason?: string; receivedAt?: string } = {},
): Promise<{ id: string; from: string; subject: string }> {
  const id = randomUUID();
  const from = m.from ?? `someone.${id.slice(0, 6)}@example.net`;
  const subject = m.subject ?? 'Re: my question';
  const messageId = `<${id}@example.net>`;
  const raw = [
    `From: Someone <${from}>`, 'To: policy@localhost', `Subject: ${subject}`, `Message-ID: ${messageId}`,
    'Date: Mon, 2 Mar 2026 10:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', m.body ?? 'Thank you, here is more.', '',
  ].join('\r\n');
  await t.db.query(
    `INSERT INTO inbound_emails (id, raw, source, message_id, from_address, subject, status, hold_reason, received_at, processed_at)
     VALUES ($1, $2, 'webhook', $3, $4, $5, 'held', $6, coalesce($7::timestamptz, now()), now())`,
    [id, Buffer.from(raw), messageId, from, subject, m.reason ?? 'no_match', m.receivedAt ?? null]);
  return { id, from, subject };
}

/** An outgoing email about an inquiry that the mail server refused for good. */
export async function failedEmail(t: TestApp, inquiryId: string, to: string, kind = 'reply'): Promise<{ id: string; messageId: string }> {
  const id = randomUUID();
  const messageId = `<${id}@localhost>`;
  await t.db.query(
    `INSERT INTO outbound_emails (id, kind, inquiry_id, recipient, subject, message_id, status, attempts, last_error)
     VALUES ($1, $2, $3, $4, 'Re: your question', $5, 'failed', 3, '550 5.1.1 mailbox unavailable')`,
    [id, kind, inquiryId, to, messageId]);
  return { id, messageId };
}

describe('the admins\' team pages (topics, staff, failed emails, holding pen)', () => {
  let t: TestApp;
  let admin: TestStaff;
  let officer: TestStaff;
  let web: Web;
  let officerWeb: Web;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createStaffWithPassword(t, 'admin', { name: 'Alex Morgan' });
    officer = await createStaffWithPassword(t, 'officer', { name: 'Sam Okafor' });
    web = await webSignIn(t, admin.email);
    officerWeb = await webSignIn(t, officer.email);
  });
  afterAll(async () => t?.close());

  const post = (who: Web, url: string, fields: Record<string, string> = {}) =>
    who.agent.post(url).type('form').send({ _csrf: who.csrf, ...fields });
  const audit = async (action: string) =>
    t.db.query(`SELECT actor_id, inquiry_id, changes FROM audit_events WHERE action = $1 ORDER BY created_at`, [action]);
  /** The page a post redirected to, with the notice it left. */
  async function followed(res: request.Response, who: Web = web): Promise<string> {
    expect(res.status).toBe(303);
    return (await who.agent.get(res.headers.location).expect(200)).text;
  }
  const notice = (html: string) => /<div class="notice[^"]*" role="status"[^>]*>\s*<p class="notice__text">([^<]*)<\/p>/.exec(html)?.[1];

  describe('topics', () => {
    it('lists every topic with its mailbox (or the team inbox), target and state in words, and an edit link named for it', async () => {
      await t.db.query(`UPDATE topics SET mailbox = 'research@charity.example' WHERE key = 'research-funding'`);
      const res = await web.agent.get('/admin/topics').expect(200);
      expect(res.text).toContain('<title>Topics – Policy Inbox</title>');
      expect(res.text).toMatch(/<caption>\d+ topics, in the order the form lists them<\/caption>/);
      const topics: { key: string; label: string; response_target_days: number }[] =
        await t.db.query(`SELECT key, label, response_target_days FROM topics`);
      for (const topic of topics) {
        expect(res.text).toContain(`<th scope="row">${topic.label.replace(/&/g, '&amp;')}</th>`);
        expect(res.text).toContain(`href="/admin/topics/${topic.key}">Edit<span class="visually-hidden"> ${topic.label.replace(/&/g, '&amp;')}</span></a>`);
      }
      expect(res.text).toContain('Team inbox (policy-team@localhost)');
      expect(res.text).toContain('research@charity.example');
      expect(res.text).toMatch(/\d+ working days/);
      expect(res.text).toContain('>Active</span>');
      expect(res.text).toContain('aria-current="page">Topics</a>');
      expect(res.text).toContain('<h2 id="add-topic">Add a topic</h2>');
    });

    it('adds a topic (303 and a notice), recorded in the audit log', async () => {
      const res = await post(web, '/admin/topics', {
        key: 'screening', label: 'Screening programmes', description: 'Bowel, breast and cervical screening',
        mailbox: 'Screening@Charity.example', responseTargetDays: '7',
      });
      expect(res.headers.location).toBe('/admin/topics');
      const html = await followed(res);
      expect(notice(html)).toBe('Topic “Screening programmes” added');
      const [row] = await t.db.query(`SELECT label, description, mailbox, response_target_days, active FROM topics WHERE key = 'screening'`);
      expect(row).toEqual({ label: 'Screening programmes', description: 'Bowel, breast and cervical screening', mailbox: 'screening@charity.example', response_target_days: 7, active: true });
      const [created] = await audit('topic.created');
      expect(created).toMatchObject({ actor_id: admin.id, changes: { key: { from: null, to: 'screening' } } });
      // The notice shows once.
      expect(notice((await web.agent.get('/admin/topics').expect(200)).text)).toBeUndefined();
    });

    it('refuses a bad topic with 400 and the error summary, keeping what was typed', async () => {
      const res = await post(web, '/admin/topics', { key: 'Not A Key', label: '', description: 'fine', mailbox: 'not-an-address', responseTargetDays: '0' }).expect(400);
      expect(res.text).toContain('<title>Error: Topics – Policy Inbox</title>');
      expect(res.text).toContain('There is a problem');
      expect(res.text).toContain('<a href="#key">Enter a key of lower-case letters, digits and hyphens only');
      expect(res.text).toContain('<a href="#label">Enter a label</a>');
      expect(res.text).toContain('<a href="#mailbox">Enter the mailbox as an email address');
      expect(res.text).toContain('<a href="#responseTargetDays">Enter the response target as a whole number of working days, from 1 to 100</a>');
      expect(res.text).not.toContain('href="#description"');
      expect(res.text).toContain('value="Not A Key"');
      expect(res.text).toContain('value="not-an-address"');
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM topics WHERE key ILIKE 'not a key'`);
      expect(n).toBe(0);
      // Letters in the number field are refused too, not read as the default.
      const words = await post(web, '/admin/topics', { key: 'words', label: 'Words', responseTargetDays: 'ten' }).expect(400);
      expect(words.text).toContain('href="#responseTargetDays"');
    });

    it('answers 409 for a key that is taken', async () => {
      const res = await post(web, '/admin/topics', { key: 'waiting-times', label: 'Again', responseTargetDays: '10' }).expect(409);
      expect(res.text).toContain('There is a problem');
      expect(res.text).toContain('<a href="#key">A topic with this key already exists: choose another key</a>');
      const [{ label }] = await t.db.query(`SELECT label FROM topics WHERE key = 'waiting-times'`);
      expect(label).not.toBe('Again');
    });

    it('edits a topic on its own page: label, description, mailbox, target and active', async () => {
      const page = await web.agent.get('/admin/topics/screening').expect(200);
      expect(page.text).toContain('<title>Edit topic: Screening programmes – Policy Inbox</title>');
      for (const label of ['Label', 'Description', 'Mailbox', 'Response target (working days)', 'Active']) expect(page.text).toContain(`>${label}</label>`);
      expect(page.text).toContain('value="screening@charity.example"');
      expect(page.text).toMatch(/id="active" name="active" type="checkbox" value="yes" checked/);
      expect(page.text).toContain('>Save topic</button>');

      // Unticked "Active" and an empty mailbox: inactive, routed to the team inbox.
      const res = await post(web, '/admin/topics/screening', { label: 'Screening', description: '', mailbox: '', responseTargetDays: '12' });
      expect(res.headers.location).toBe('/admin/topics');
      const html = await followed(res);
      expect(notice(html)).toBe('Topic “Screening” saved');
      expect(html).toMatch(/<th scope="row">Screening<\/th>\s*<td><code>screening<\/code><\/td>\s*<td><span class="muted">Team inbox \(policy-team@localhost\)<\/span><\/td>\s*<td>12 working days<\/td>\s*<td><span class="tag topics-table__inactive">Inactive<\/span><\/td>/);
      const [row] = await t.db.query(`SELECT label, description, mailbox, response_target_days, active FROM topics WHERE key = 'screening'`);
      expect(row).toEqual({ label: 'Screening', description: '', mailbox: null, response_target_days: 12, active: false });
      const updated = await audit('topic.updated');
      expect(updated.at(-1)).toMatchObject({ actor_id: admin.id, changes: {
        key: { to: 'screening' }, label: { from: 'Screening programmes', to: 'Screening' }, mailbox: { from: 'screening@charity.example', to: null },
        responseTargetDays: { from: 7, to: 12 }, active: { from: true, to: false },
      } });

      await post(web, '/admin/topics/screening', { label: 'Screening', mailbox: '', responseTargetDays: '10', active: 'yes' }).expect(303);
      const [again] = await t.db.query(`SELECT active, response_target_days FROM topics WHERE key = 'screening'`);
      expect(again).toEqual({ active: true, response_target_days: 10 });
    });

    it('re-draws the edit page with 400 for bad values, and 404 for an unknown topic', async () => {
      const res = await post(web, '/admin/topics/screening', { label: 'Line one\u202Eevil', mailbox: 'x@', responseTargetDays: '101', active: 'yes' }).expect(400);
      expect(res.text).toContain('<title>Error: Edit topic: Screening – Policy Inbox</title>');
      expect(res.text).toContain('There is a problem');
      expect(res.text).toContain('<a href="#label">Enter a label of 200 characters or fewer, on one line</a>');
      expect(res.text).toContain('href="#mailbox"');
      expect(res.text).toContain('href="#responseTargetDays"');
      expect(res.text).toContain('value="101"');
      const [row] = await t.db.query(`SELECT label, response_target_days FROM topics WHERE key = 'screening'`);
      expect(row).toEqual({ label: 'Screening', response_target_days: 10 });
      const missing = await web.agent.get('/admin/topics/no-such-topic').expect(404);
      expect(missing.text).toContain('Page not found');
      await post(web, '/admin/topics/no-such-topic', { label: 'x', responseTargetDays: '5' }).expect(404);
    });

    it('escapes a label someone typed', async () => {
      await post(web, '/admin/topics', { key: 'escaping', label: '<script>alert("topic")</script> & co', responseTargetDays: '5' }).expect(303);
      const html = (await web.agent.get('/admin/topics').expect(200)).text;
      expect(html).not.toContain('<script>alert');
      expect(html).toContain('&lt;script&gt;alert(&quot;topic&quot;)&lt;/script&gt; &amp; co');
      const edit = (await web.agent.get('/admin/topics/escaping').expect(200)).text;
      expect(edit).not.toContain('<script>alert');
      expect(edit).toContain('<title>Edit topic: &lt;script&gt;alert(&quot;topic&quot;)&lt;/script&gt; &amp; co – Policy Inbox</title>');
    });
  });

  describe('staff', () => {
    it('lists every account: name, email, role, state and password in words, with controls named for each person', async () => {
      const invited = await createStaffWithPassword(t, 'officer', { name: 'Priya Shah' });
      await t.db.query(`UPDATE staff SET password_hash = NULL WHERE id = $1`, [invited.id]);
      const res = await web.agent.get('/admin/staff').expect(200);
      expect(res.text).toContain('<title>Staff – Policy Inbox</title>');
      expect(res.text).toMatch(/<caption>\d+ staff accounts<\/caption>/);
      expect(res.text).toContain(`<th scope="row" id="staff-${officer.id}" tabindex="-1">Sam Okafor</th>`);
      expect(res.text).toContain(officer.email);
      expect(res.text).toContain(`<label class="visually-hidden" for="role-${officer.id}">Role of Sam Okafor</label>`);
      expect(res.text).toContain('Change role<span class="visually-hidden"> of Sam Okafor</span>');
      expect(res.text).toContain('Deactivate<span class="visually-hidden"> Sam Okafor</span>');
      expect(res.text).toContain('Send a new invitation<span class="visually-hidden"> to Priya Shah</span>');
      expect(res.text).toContain('Password set');
      expect(res.text).toContain('Invitation sent');
      expect(res.text).toContain('>Active</span>');
      // No controls on one's own row: an admin cannot demote or deactivate themself.
      expect(res.text).toContain(`id="staff-${admin.id}" tabindex="-1">Alex Morgan <span class="muted">(you)</span></th>`);
      expect(res.text).not.toContain('Deactivate<span class="visually-hidden"> Alex Morgan</span>');
      expect(res.text).toContain('<h2 id="invite">Invite someone</h2>');
      for (const label of ['Name', 'Email address', 'Role']) expect(res.text).toContain(`for="${label === 'Email address' ? 'email' : label.toLowerCase()}">${label}</label>`);
      expect(res.text).not.toMatch(/type="password"/);
    });

    it('invites someone: an account without a password, an invitation in the outbox, an audit event', async () => {
      const email = `jo.${Date.now()}@charity.example`;
      const res = await post(web, '/admin/staff', { name: 'Jo Bloggs', email: email.toUpperCase(), role: 'admin' });
      expect(res.headers.location).toBe('/admin/staff');
      const html = await followed(res);
      expect(notice(html)).toBe(`Invitation sent to Jo Bloggs at ${email}`);
      const [member] = await t.db.query(`SELECT id, name, role, active, password_hash FROM staff WHERE email = $1`, [email]);
      expect(member).toMatchObject({ name: 'Jo Bloggs', role: 'admin', active: true, password_hash: null });
      const mails = await t.db.query(`SELECT kind, status FROM outbound_emails WHERE recipient = $1`, [email]);
      expect(mails).toEqual([{ kind: 'invitation', status: 'pending' }]);
      const invited = await audit('staff.invited');
      expect(invited.at(-1)).toMatchObject({ actor_id: admin.id, changes: { email: { from: null, to: email } } });
      expect(html).toContain(`<th scope="row" id="staff-${member.id}" tabindex="-1">Jo Bloggs</th>`);
    });

    it('refuses a bad invitation with 400 and a taken address with 409', async () => {
      const bad = await post(web, '/admin/staff', { name: '', email: 'nope', role: 'owner' }).expect(400);
      expect(bad.text).toContain('<title>Error: Staff – Policy Inbox</title>');
      expect(bad.text).toContain('There is a problem');
      expect(bad.text).toContain('<a href="#name">Enter their name</a>');
      expect(bad.text).toContain('<a href="#email">Enter an email address in the correct format, like name@charity.example</a>');
      expect(bad.text).toContain('<a href="#role">Select a role</a>');
      expect(bad.text).toContain('value="nope"');
      const taken = await post(web, '/admin/staff', { name: 'Sam Again', email: officer.email, role: 'officer' }).expect(409);
      expect(taken.text).toContain('<a href="#email">This email address already has a staff account</a>');
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM staff WHERE name = 'Sam Again' OR email = 'nope'`);
      expect(n).toBe(0);
    });

    it('changes a role, and says why an admin cannot demote or deactivate themself (422)', async () => {
      const member = await createStaffWithPassword(t, 'officer', { name: 'Kim Lee' });
      const res = await post(web, `/admin/staff/${member.id}/role`, { role: 'admin' });
      expect(notice(await followed(res))).toBe('Kim Lee is now an admin (team lead)');
      const [row] = await t.db.query(`SELECT role FROM staff WHERE id = $1`, [member.id]);
      expect(row.role).toBe('admin');
      const updated = await audit('staff.updated');
      expect(updated.at(-1)).toMatchObject({ actor_id: admin.id, changes: { id: { to: member.id }, role: { from: 'officer', to: 'admin' } } });
      await post(web, `/admin/staff/${member.id}/role`, { role: 'owner' }).expect(400);

      for (const [url, fields] of [[`/admin/staff/${admin.id}/role`, { role: 'officer' }], [`/admin/staff/${admin.id}/deactivate`, {}]] as const) {
        const refused = await post(web, url, fields).expect(422);
        expect(refused.text).toContain('There is a problem');
        expect(refused.text).toContain(`<a href="#staff-${admin.id}">You cannot deactivate your own account or remove your own admin role. Ask another admin to do it.</a>`);
      }
      const [me] = await t.db.query(`SELECT role, active, token_version FROM staff WHERE id = $1`, [admin.id]);
      expect(me).toEqual({ role: 'admin', active: true, token_version: 1 });
    });

    it('deactivating someone ends their open web session at once', async () => {
      const member = await createStaffWithPassword(t, 'officer', { name: 'Dana Price' });
      const theirs = await webSignIn(t, member.email);
      // Signed in: an officer on an admin page gets the 403 page, not the sign-in page.
      await theirs.agent.get('/admin/topics').expect(403);

      const res = await post(web, `/admin/staff/${member.id}/deactivate`);
      const html = await followed(res);
      expect(notice(html)).toBe('Dana Price has been deactivated and signed out everywhere');
      expect(html).toContain('Reactivate<span class="visually-hidden"> Dana Price</span>');
      const [row] = await t.db.query(`SELECT active, token_version FROM staff WHERE id = $1`, [member.id]);
      expect(row).toEqual({ active: false, token_version: 2 });
      const deactivated = await audit('staff.updated');
      expect(deactivated.at(-1)).toMatchObject({ actor_id: admin.id, changes: { id: { to: member.id }, active: { from: true, to: false } } });

      // The same cookie now opens nothing: a page goes to sign-in, and a post with the old token does too.
      const after = await theirs.agent.get('/admin/topics').expect(303);
      expect(after.headers.location).toBe('/admin/login?next=%2Fadmin%2Ftopics');
      const posted = await post(theirs, '/admin/logout').expect(303);
      expect(posted.headers.location).toMatch(/^\/admin\/login/);

      // Reactivated, they can sign in again, but the old session stays ended.
      expect(notice(await followed(await post(web, `/admin/staff/${member.id}/reactivate`)))).toBe('Dana Price can sign in again');
      const [back] = await t.db.query(`SELECT active, token_version FROM staff WHERE id = $1`, [member.id]);
      expect(back).toEqual({ active: true, token_version: 2 });
      await theirs.agent.get('/admin/topics').expect(303);
      const fresh = await webSignIn(t, member.email);
      await fresh.agent.get('/admin/topics').expect(403);
    });

    it('sends a new invitation, and refuses one for a deactivated account with the reason', async () => {
      const member = await createStaffWithPassword(t, 'officer', { name: 'Lee Chan' });
      const res = await post(web, `/admin/staff/${member.id}/invitation`);
      expect(notice(await followed(res))).toBe(`A new invitation has been sent to Lee Chan at ${member.email}`);
      const mails = await t.db.query(`SELECT kind FROM outbound_emails WHERE recipient = $1`, [member.email]);
      expect(mails).toEqual([{ kind: 'invitation' }]);
      expect((await audit('staff.invited')).at(-1)).toMatchObject({ actor_id: admin.id, changes: { id: { to: member.id } } });

      await post(web, `/admin/staff/${member.id}/deactivate`).expect(303);
      const refused = await post(web, `/admin/staff/${member.id}/invitation`).expect(422);
      expect(refused.text).toContain('This account is deactivated: reactivate it before sending a new invitation');
      await post(web, `/admin/staff/${randomUUID()}/deactivate`).expect(404);
      await post(web, '/admin/staff/not-an-id/deactivate').expect(400);
    });
  });

  describe('failed emails', () => {
    it('says so in words when nothing has failed', async () => {
      const res = await web.agent.get('/admin/failed-emails').expect(200);
      expect(res.text).toContain('<title>Failed emails – Policy Inbox</title>');
      expect(res.text).toContain('No emails have failed.');
      expect(res.text).not.toContain('<table');
    });

    it('lists failed emails with their inquiry, attempts and error, a Retry named for each, and a next page', async () => {
      const inquiry = await insertInquiry(t);
      const first = await failedEmail(t, inquiry.id, inquiry.email, 'acknowledgement');
      for (let i = 0; i < 25; i++) await failedEmail(t, inquiry.id, `later.${i}@example.org`);
      const res = await web.agent.get('/admin/failed-emails').expect(200);
      expect(res.text).toContain('<caption>Failed emails, newest first</caption>');
      expect(res.text.match(/>Retry<span/g)).toHaveLength(25);
      expect(res.text).toContain(`<a href="/admin/inquiries/${inquiry.reference}">${inquiry.reference}</a>`);
      expect(res.text).toContain('550 5.1.1 mailbox unavailable');
      expect(res.text).toContain('<td class="numeric">3</td>');
      expect(res.text).toContain(`Retry<span class="visually-hidden"> the reply to later.24@example.org about ${inquiry.reference}</span>`);
      const next = /href="(\/admin\/failed-emails\?cursor=[^"]+)" rel="next">Next page/.exec(res.text)?.[1];
      expect(next).toBeDefined();
      const second = await web.agent.get(next!.replace(/&amp;/g, '&')).expect(200);
      expect(second.text).toContain('<caption>More failed emails</caption>');
      expect(second.text).toContain(`Retry<span class="visually-hidden"> the acknowledgement to ${inquiry.email} about ${inquiry.reference}</span>`);
      expect(second.text).toContain(`action="/admin/failed-emails/${first.id}/retry"`);
      expect(second.text).not.toContain('rel="next"');
    });

    it('retries one: pending again with the same Message-ID, a notice, an audit event; 409 when it no longer failed', async () => {
      const inquiry = await insertInquiry(t);
      const email = await failedEmail(t, inquiry.id, 'retry.me@example.org');
      const res = await post(web, `/admin/failed-emails/${email.id}/retry`);
      expect(res.headers.location).toBe('/admin/failed-emails');
      const html = await followed(res);
      expect(notice(html)).toBe('The reply to retry.me@example.org will be sent again');
      expect(html).not.toContain(`/admin/failed-emails/${email.id}/retry`);
      const [row] = await t.db.query(`SELECT status, message_id, attempts FROM outbound_emails WHERE id = $1`, [email.id]);
      expect(row).toEqual({ status: 'pending', message_id: email.messageId, attempts: 3 });
      expect((await audit('email.retried')).at(-1)).toMatchObject({
        actor_id: admin.id, inquiry_id: inquiry.id, changes: { emailId: { to: email.id }, status: { from: 'failed', to: 'pending' } },
      });

      const again = await post(web, `/admin/failed-emails/${email.id}/retry`).expect(409);
      expect(again.text).toContain('There is a problem');
      expect(again.text).toContain('This email is no longer failed: someone has already retried it, or it has been sent.');
      await post(web, `/admin/failed-emails/${randomUUID()}/retry`).expect(404);
    });
  });

  describe('the holding pen', () => {
    it('says so in words when it is empty', async () => {
      const res = await web.agent.get('/admin/holding-pen').expect(200);
      expect(res.text).toContain('<title>Holding pen – Policy Inbox</title>');
      expect(res.text).toContain('The holding pen is empty');
    });

    it('shows each held message: from, subject, received, the reason in words, the body escaped in a details', async () => {
      const held = await holdMessage(t, {
        from: 'aisha.other@example.net', subject: '<script>alert("held")</script> Re: POL-7K3M9Q', reason: 'sender_mismatch',
        body: 'Line one <b>bold</b>\n\nLine three & more',
      });
      const res = await web.agent.get('/admin/holding-pen').expect(200);
      expect(res.text).not.toContain('<script>alert');
      expect(res.text).not.toContain('<b>bold</b>');
      expect(res.text).toContain(`<h2 class="held-message__title" id="held-${held.id}-title">&lt;script&gt;alert(&quot;held&quot;)&lt;/script&gt; Re: POL-7K3M9Q</h2>`);
      expect(res.text).toContain('<dd>aisha.other@example.net</dd>');
      expect(res.text).toContain('It answers an inquiry, but comes from an address other than the enquirer’s.');
      expect(res.text).toContain('<summary>Read the message<span class="visually-hidden"> from aisha.other@example.net</span></summary>');
      expect(res.text).toContain('<div class="held-message__body">Line one &lt;b&gt;bold&lt;/b&gt;\n\nLine three &amp; more</div>');
      expect(res.text).toMatch(/<dt>Received<\/dt><dd><time datetime="[^"]+">\d{1,2} \w{3,4} \d{4}, \d{2}:\d{2}<\/time><\/dd>/);
      expect(res.text).toContain(`<label class="label" for="reference-${held.id}">Inquiry reference</label>`);
      expect(res.text).toContain('<legend class="fieldset__legend">Attach to an inquiry</legend>');
      expect(res.text).toContain('Attach<span class="visually-hidden"> the message from aisha.other@example.net</span>');
    });

    it('attaches a message by reference (any case): on the conversation, out of the pen, audited', async () => {
      const inquiry = await insertInquiry(t, { status: 'waiting' });
      const held = await holdMessage(t, { body: 'Here is the answer you asked for.' });
      const res = await post(web, `/admin/holding-pen/${held.id}/attach`, { reference: ` ${inquiry.reference.toLowerCase()} ` });
      expect(res.headers.location).toBe('/admin/holding-pen');
      const html = await followed(res);
      expect(notice(html)).toBe(`The message from ${held.from} is now on inquiry ${inquiry.reference}`);
      expect(html).not.toContain(held.id);
      const [row] = await t.db.query(`SELECT status, inquiry_id FROM inbound_emails WHERE id = $1`, [held.id]);
      expect(row).toEqual({ status: 'attached', inquiry_id: inquiry.id });
      const messages = await t.db.query(`SELECT direction, body FROM conversation_messages WHERE inquiry_id = $1`, [inquiry.id]);
      expect(messages).toEqual([{ direction: 'inbound', body: 'Here is the answer you asked for.' }]);
      const [{ status }] = await t.db.query(`SELECT status FROM inquiries WHERE id = $1`, [inquiry.id]);
      expect(status).toBe('open');
      expect((await audit('inbound.attached')).at(-1)).toMatchObject({ actor_id: admin.id, inquiry_id: inquiry.id });

      // Someone else got there first: the page says so (409).
      const late = await post(web, `/admin/holding-pen/${held.id}/attach`, { reference: inquiry.reference }).expect(409);
      expect(late.text).toContain('There is a problem');
      expect(late.text).toContain('This message is no longer in the holding pen: someone else has attached it to an inquiry');
    });

    it('refuses an empty or unknown reference with 400 on the page, keeping what was typed', async () => {
      const held = await holdMessage(t);
      const empty = await post(web, `/admin/holding-pen/${held.id}/attach`, { reference: '' }).expect(400);
      expect(empty.text).toContain('<title>Error: Holding pen – Policy Inbox</title>');
      expect(empty.text).toContain(`<a href="#reference-${held.id}">Enter the reference of the inquiry, like POL-7K3M9Q</a>`);
      for (const reference of ['POL-ZZZZZZ', 'nonsense', randomUUID()]) {
        const res = await post(web, `/admin/holding-pen/${held.id}/attach`, { reference }).expect(400);
        expect(res.text).toContain('There is a problem');
        expect(res.text).toContain(`<a href="#reference-${held.id}">No inquiry has this reference</a>`);
        expect(res.text).toContain(`id="reference-${held.id}-error"`);
        expect(res.text).toContain(`value="${reference}"`);
      }
      const [row] = await t.db.query(`SELECT status FROM inbound_emails WHERE id = $1`, [held.id]);
      expect(row.status).toBe('held');
    });

    it('pages through the pen with Next page', async () => {
      for (let i = 0; i < 26; i++) await holdMessage(t, { subject: `Paged ${i}`, receivedAt: new Date(Date.now() - (i + 1) * 60_000).toISOString() });
      const res = await web.agent.get('/admin/holding-pen').expect(200);
      expect(res.text.match(/<li class="held-message"/g)).toHaveLength(25);
      const next = /href="(\/admin\/holding-pen\?cursor=[^"]+)" rel="next">Next page/.exec(res.text)?.[1];
      expect(next).toBeDefined();
      const second = await web.agent.get(next!).expect(200);
      expect(second.text).toContain('Paged 25');
      expect(second.text).not.toContain('>Paged 0<');
    });
  });

  describe('for officers', () => {
    it('answers every page and every post with the 403 page, and changes nothing', async () => {
      const inquiry = await insertInquiry(t);
      const email = await failedEmail(t, inquiry.id, 'officer.try@example.org');
      const held = await holdMessage(t);
      for (const url of ['/admin/topics', '/admin/topics/waiting-times', '/admin/staff', '/admin/failed-emails', '/admin/holding-pen']) {
        const res = await officerWeb.agent.get(url);
        expect([url, res.status]).toEqual([url, 403]);
        expect(res.text).toContain('You need to be an admin to use this page');
      }
      const posts: [string, Record<string, string>][] = [
        ['/admin/topics', { key: 'officer-topic', label: 'Mine', responseTargetDays: '5' }],
        ['/admin/topics/waiting-times', { label: 'Taken over', responseTargetDays: '5' }],
        ['/admin/staff', { name: 'Friend', email: 'friend@example.org', role: 'admin' }],
        [`/admin/staff/${officer.id}/role`, { role: 'admin' }],
        [`/admin/staff/${admin.id}/deactivate`, {}],
        [`/admin/staff/${admin.id}/reactivate`, {}],
        [`/admin/staff/${admin.id}/invitation`, {}],
        [`/admin/failed-emails/${email.id}/retry`, {}],
        [`/admin/holding-pen/${held.id}/attach`, { reference: inquiry.reference }],
      ];
      for (const [url, fields] of posts) {
        const res = await post(officerWeb, url, fields);
        expect([url, res.status]).toEqual([url, 403]);
      }
      const [state] = await t.db.query(
        `SELECT (SELECT count(*)::int FROM topics WHERE key = 'officer-topic') AS topics,
                (SELECT label FROM topics WHERE key = 'waiting-times') AS label,
                (SELECT count(*)::int FROM staff WHERE email = 'friend@example.org') AS friends,
                (SELECT role FROM staff WHERE id = $1) AS role,
                (SELECT active FROM staff WHERE id = $2) AS admin_active,
                (SELECT status FROM outbound_emails WHERE id = $3) AS email_status,
                (SELECT status FROM inbound_emails WHERE id = $4) AS held_status`,
        [officer.id, admin.id, email.id, held.id]);
      expect(state).toEqual({ topics: 0, label: expect.not.stringMatching('Taken over'), friends: 0, role: 'officer', admin_active: true, email_status: 'failed', held_status: 'held' });
    });

    it('needs the session\'s CSRF token on every post, from admins too', async () => {
      const res = await web.agent.post('/admin/topics').type('form').send({ key: 'no-token', label: 'No token', responseTargetDays: '5' }).expect(403);
      expect(res.text).toContain('This form has expired');
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM topics WHERE key = 'no-token'`);
      expect(n).toBe(0);
    });
  });
});
