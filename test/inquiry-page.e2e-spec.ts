import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { TestSmtpServer } from './support/smtp.js';
import { TestStaff } from './support/staff.js';
import { createStaffWithPassword, webSignIn } from './support/web.js';
import { insertInquiry } from './inbox-fixtures.js';

type Agent = ReturnType<typeof request.agent>;
interface Officer { member: TestStaff; agent: Agent; csrf: string }

/** The options of `<select name=…>`: values in order, and the selected one. */
function selectOf(html: string, name: string): { values: string[]; labels: string[]; selected: string | undefined } {
  const m = new RegExp(`<select[^>]*name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
  if (!m) throw new Error(`No select named ${name}`);
  const options = [...m[1].matchAll(/<option value="([^"]*)"( selected)?>([^<]*)<\/option>/g)];
  return { values: options.map((o) => o[1]), labels: options.map((o) => o[3]), selected: options.find((o) => o[2])?.[1] };
}

/** An input's or textarea's value as the browser would show it (entities decoded). */
function fieldValue(html: string, id: string): string {
  const textarea = new RegExp(`<textarea[^>]*id="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
  const input = new RegExp(`<input[^>]*value="([^"]*)"[^>]*id="${id}"`).exec(html) ?? new RegExp(`<input[^>]*id="${id}"[^>]*value="([^"]*)"`).exec(html);
  const raw = textarea?.[1] ?? input?.[1];
  if (raw === undefined) throw new Error(`No field with id ${id}`);
  return decode(raw);
}

function hidden(html: string, name: string, action?: string): string {
  const at = action ? new RegExp(`action="[^"]*${action}"`).exec(html)?.index : 0;
  if (at === undefined) throw new Error(`No form posting to …${action}`);
  const scope = html.slice(at);
  const m = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(scope);
  if (!m) throw new Error(`No hidden ${name}`);
  return decode(m[1]);
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The page's text as a person reads it: tags dropped, entities decoded, spaces collapsed. */
const words = (html: string) => decode(html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('The inquiry page (SPEC §8)', () => {
  let t: TestApp;
  let sam: Officer;
  let priya: Officer;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } });
    const signIn = async (name: string): Promise<Officer> => {
      const member = await createStaffWithPassword(t, 'officer', { name });
      return { member, ...(await webSignIn(t, member.email)) };
    };
    sam = await signIn('Sam Okafor');
    priya = await signIn('Priya Shah');
  });
  afterAll(async () => t.close());

  const submit = async (overrides: Record<string, unknown> = {}) =>
    (await request(t.http).post('/api/inquiries').send(validInquiry(overrides)).expect(201)).body as { id: string; reference: string };
  const open = (who: Officer, key: string, status = 200) => who.agent.get(`/admin/inquiries/${key}`).expect(status);
  const post = (who: Officer, path: string, fields: Record<string, string>) =>
    who.agent.post(`/admin/inquiries/${path}`).type('form').send({ _csrf: who.csrf, ...fields });
  const row = async (id: string) =>
    (await t.db.query(`SELECT status, priority, assignee_id, topic_key, tags, version FROM inquiries WHERE id = $1`, [id]))[0];
  /** The triage form's fields as the page drew them, with some changed. */
  const triageOf = (html: string, changes: Record<string, string> = {}) => ({
    version: hidden(html, 'version', `/triage`), drawnAt: hidden(html, 'drawnAt', `/triage`),
    status: selectOf(html, 'status').selected!, priority: selectOf(html, 'priority').selected!,
    assigneeId: selectOf(html, 'assigneeId').selected ?? '', topic: selectOf(html, 'topic').selected!, tags: fieldValue(html, 'tags'),
    ...changes,
  });

  describe('drawing an inquiry', () => {
    it('shows who asked, the dates, the conversation in words with delivery, the emails and the history', async () => {
      const { id, reference } = await submit({
        name: 'Aisha Khan', organisation: 'Example Health Trust', enquirerType: 'health_professional',
        subject: 'Two-week wait referrals', message: 'First line.\nSecond line.',
        sourceUrl: 'https://www.example.org/policy/cancer-services-in-england',
      });
      await t.db.query(`UPDATE inquiries SET sensitive_flags = '{nhs_number}' WHERE id = $1`, [id]);
      await post(sam, `${reference}/replies`, { body: 'Thank you.\nWe are looking into it.' }).expect(303);
      await post(priya, `${reference}/notes`, { body: 'Asked the screening lead.' }).expect(303);
      await t.db.query(`UPDATE outbound_emails SET status = 'failed', last_error = '550 mailbox unavailable' WHERE inquiry_id = $1 AND kind = 'routing'`, [id]);

      for (const key of [id, reference, reference.toLowerCase(), id.toUpperCase()]) {
        const res = await open(sam, key);
        expect(res.headers['content-type']).toMatch(/text\/html/);
        expect(res.text).toContain(`<title>${reference}: Two-week wait referrals – Policy Inbox</title>`);
        expect(res.text).toMatch(new RegExp(`<h1[^>]*>${reference}: Two-week wait referrals</h1>`));
      }
      const html = (await open(sam, reference)).text;
      const text = words(html);
      expect(html).toContain('<dl class="summary-list">');
      expect(text).toContain('Name Aisha Khan');
      expect(text).toContain('Organisation Example Health Trust');
      expect(text).toContain('Asking as Health professional');
      expect(html).toContain('<a href="https://www.example.org/policy/cancer-services-in-england" rel="noopener noreferrer nofollow">https://www.example.org/policy/cancer-services-in-england</a>');
      expect(text).toContain('Sent through API');
      expect(text).toMatch(/Received \d{1,2} \w{3} \d{4}, \d{2}:\d{2}/);
      expect(text).toMatch(/Reply by \d{1,2} \w{3} \d{4}/);
      expect(text).toMatch(/First response \d{1,2} \w{3} \d{4}, \d{2}:\d{2}/);
      expect(text).toContain('Status Waiting');
      expect(text).toContain('Assigned to Unassigned');
      expect(text).toContain('This inquiry may contain an NHS number. Handle it with care and do not copy it into other systems.');

      // The conversation, oldest first, each item labelled in words, line breaks kept in an escaped body.
      const items = [...html.matchAll(/<li class="conversation__item conversation__item--(\w+)">([\s\S]*?)<\/li>/g)];
      expect(items.map((m) => m[1])).toEqual(['inbound', 'reply', 'note']);
      expect(words(items[0][2])).toContain('From the enquirer');
      expect(items[0][2]).toContain('<p class="conversation__body">First line.\nSecond line.</p>');
      expect(words(items[1][2])).toMatch(/Reply by Sam Okafor <?.*Waiting to send/);
      expect(items[1][2]).toMatch(/<time datetime="\d{4}-\d{2}-\d{2}T[\d:.]+Z">/);
      expect(words(items[2][2])).toContain('Internal note by Priya Shah');
      expect(words(items[2][2])).toContain('Internal only staff see this note');

      // Every email with its delivery, and the history in words.
      const emails = /<summary>Emails about this inquiry \(3\)<\/summary>([\s\S]*?)<\/details>/.exec(html)![1];
      expect(words(emails)).toMatch(/Acknowledgement .* Waiting to send/);
      expect(words(emails)).toContain('Failed: 550 mailbox unavailable');
      const history = /<summary>History \(2\)<\/summary>([\s\S]*?)<\/details>/.exec(html)![1];
      expect(words(history)).toMatch(/\d{1,2} \w{3} \d{4}, \d{2}:\d{2} – Sam Okafor sent a reply \(status from New to Waiting\)/);
      expect(words(history)).toContain('– Priya Shah added an internal note');
    });

    it('escapes what the enquirer typed', async () => {
      const { reference } = await submit({ subject: '<script>alert(1)</script> help', message: 'Hi <img src=x onerror=alert(2)> & "bye"' });
      const html = (await open(sam, reference)).text;
      expect(html).not.toContain('<script>alert(1)');
      expect(html).not.toContain('<img src=x');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; help');
      expect(html).toContain('Hi &lt;img src=x onerror=alert(2)&gt; &amp; &quot;bye&quot;');
    });

    it.each([
      ['an unknown uuid', '0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10'],
      ['an unknown reference', 'POL-ZZZZZZ'],
      ['a malformed id', 'not-an-id'],
      ['an injection attempt', encodeURIComponent("x' OR '1'='1")],
    ])('answers the 404 page for %s', async (_what, key) => {
      const res = await open(sam, key, 404);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('Page not found');
    });

    it('says overdue in words and shows the spam reason', async () => {
      const late = await insertInquiry(t, { expectedResponseBy: '2020-01-06' });
      expect(words((await open(sam, late.reference)).text)).toMatch(/Reply by 6 Jan 2020 Overdue/);
      const spam = await insertInquiry(t, { status: 'spam' });
      await t.db.query(`UPDATE inquiries SET spam_reason = 'form posted too fast' WHERE id = $1`, [spam.id]);
      expect(words((await open(sam, spam.reference)).text)).toContain('Marked as spam: form posted too fast.');
    });
  });

  describe('triage', () => {
    it.each([
      ['new', ['new', 'open', 'resolved', 'spam']],
      ['open', ['open', 'waiting', 'resolved', 'spam']],
      ['waiting', ['open', 'waiting', 'resolved', 'spam']],
      ['resolved', ['open', 'resolved']],
      ['spam', ['new', 'spam']],
    ])('offers a %s inquiry only its status and the moves the workflow allows', async (status, offered) => {
      const { reference } = await insertInquiry(t, { status });
      const select = selectOf((await open(sam, reference)).text, 'status');
      expect(select.values).toEqual(offered);
      expect(select.selected).toBe(status);
    });

    it('offers active staff by name and Unassigned, and active topics by label', async () => {
      const gone = await createStaffWithPassword(t, 'officer', { name: 'Gone Person' });
      await t.db.query(`UPDATE staff SET active = false WHERE id = $1`, [gone.id]);
      const { reference } = await insertInquiry(t);
      const html = (await open(sam, reference)).text;
      const staff = selectOf(html, 'assigneeId');
      expect(staff.values[0]).toBe('');
      expect(staff.labels[0]).toBe('Unassigned');
      expect(staff.labels).toEqual(expect.arrayContaining(['Sam Okafor', 'Priya Shah']));
      expect(staff.labels).not.toContain('Gone Person');
      const [topics] = await t.db.query(`SELECT array_agg(label ORDER BY sort_order, label, key) AS labels FROM topics WHERE active`);
      expect(selectOf(html, 'topic').labels).toEqual(topics.labels);
    });

    it('saves changes: 303 back with "Changes saved", the database changed and the audit written', async () => {
      const { id, reference } = await insertInquiry(t);
      const [topic] = await t.db.query(`SELECT key, label FROM topics WHERE active AND key <> 'waiting-times' ORDER BY key LIMIT 1`);
      const html = (await open(sam, reference)).text;
      const res = await post(sam, `${reference}/triage`, triageOf(html, {
        status: 'open', priority: 'urgent', assigneeId: priya.member.id, topic: topic.key, tags: ' screening, MP letter ,, screening',
      })).expect(303);
      expect(res.headers.location).toBe(`/admin/inquiries/${reference}`);

      expect(await row(id)).toMatchObject({
        status: 'open', priority: 'urgent', assignee_id: priya.member.id, topic_key: topic.key, tags: ['screening', 'MP letter'], version: 2,
      });
      const [audit] = await t.db.query(`SELECT action, actor_id, changes FROM audit_events WHERE inquiry_id = $1`, [id]);
      expect(audit).toMatchObject({ action: 'inquiry.updated', actor_id: sam.member.id });
      expect(audit.changes.status).toEqual({ from: 'new', to: 'open' });
      const routing = await t.db.query(`SELECT recipient FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'routing'`, [id]);
      expect(routing).toHaveLength(1); // a topic change routes it to the new topic's mailbox

      const next = await open(sam, reference);
      expect(next.text).toMatch(/<div class="notice notice--success" role="status" tabindex="-1" data-notice>\s*<p class="notice__text">Changes saved<\/p>/);
      const text = words(next.text);
      expect(text).toContain('Status Open');
      expect(text).toContain('Priority Urgent');
      expect(text).toContain('Assigned to Priya Shah');
      expect(text).toContain(`Topic ${topic.label}`);
      expect(text).toContain(`Sam Okafor changed status from New to Open, priority from Normal to Urgent, assignee from Unassigned to Priya Shah, topic from`);
      expect(selectOf(next.text, 'status').values).toEqual(['open', 'waiting', 'resolved', 'spam']);
      // The notice is shown once.
      expect((await open(sam, reference)).text).not.toContain('Changes saved');
    });

    it('assigns to me, and then no longer offers it', async () => {
      const { id, reference } = await insertInquiry(t);
      const html = (await open(sam, reference)).text;
      expect(html).toContain('>Assign to me</button>');
      const version = hidden(html, 'version', `/admin/inquiries/${reference}/assign-to-me`);
      await post(sam, `${reference}/assign-to-me`, { version }).expect(303);
      expect(await row(id)).toMatchObject({ assignee_id: sam.member.id, version: 2 });
      const next = (await open(sam, reference)).text;
      expect(next).toContain('Assigned to you');
      expect(next).not.toContain('>Assign to me</button>');
      expect(selectOf(next, 'assigneeId').selected).toBe(sam.member.id);
      // Someone else still can.
      expect((await open(priya, reference)).text).toContain('>Assign to me</button>');
    });

    it('a stale save answers 409 with what the other person changed and the current values; nothing is overwritten', async () => {
      const { id, reference } = await insertInquiry(t);
      const samsPage = (await open(sam, reference)).text;
      const priyasPage = (await open(priya, reference)).text;
      await post(priya, `${reference}/triage`, triageOf(priyasPage, { priority: 'high', tags: 'screening' })).expect(303);
      await post(priya, `${reference}/notes`, { body: 'Checking with the team.' }).expect(303);

      const res = await post(sam, `${reference}/triage`, triageOf(samsPage, { status: 'resolved', priority: 'low', assigneeId: sam.member.id })).expect(409);
      expect(res.text).toContain('<title>Error: ');
      expect(res.text).toMatch(/role="alert"[^>]*>\s*<h2 class="error-summary__title" id="conflict-title">Someone else changed this inquiry<\/h2>/);
      const conflict = words(/id="conflict-title"[\s\S]*?<\/div>/.exec(res.text)![0]);
      expect(conflict).toContain('Your changes were not saved.');
      expect(conflict).toMatch(/Priya Shah changed priority from Normal to High and tags from none to screening/);
      expect(conflict).toContain('Priya Shah added an internal note');
      // The form shows the current values and the current version.
      expect(selectOf(res.text, 'priority').selected).toBe('high');
      expect(selectOf(res.text, 'status').selected).toBe('new');
      expect(selectOf(res.text, 'assigneeId').selected).toBe('');
      expect(fieldValue(res.text, 'tags')).toBe('screening');
      expect(hidden(res.text, 'version', '/triage')).toBe('2');
      expect(await row(id)).toMatchObject({ status: 'new', priority: 'high', assignee_id: null, tags: ['screening'], version: 2 });

      // Saving again from the conflict page works.
      await post(sam, `${reference}/triage`, triageOf(res.text, { status: 'resolved' })).expect(303);
      expect(await row(id)).toMatchObject({ status: 'resolved', priority: 'high', version: 3 });
    });

    it('"Assign to me" from a stale page answers 409 too', async () => {
      const { id, reference } = await insertInquiry(t);
      const samsPage = (await open(sam, reference)).text;
      await post(priya, `${reference}/assign-to-me`, { version: '1' }).expect(303);
      const res = await post(sam, `${reference}/assign-to-me`, {
        version: hidden(samsPage, 'version', `/admin/inquiries/${reference}/assign-to-me`),
        drawnAt: hidden(samsPage, 'drawnAt', `/admin/inquiries/${reference}/assign-to-me`),
      }).expect(409);
      expect(words(res.text)).toContain('Priya Shah changed assignee from Unassigned to Priya Shah');
      expect((await row(id)).assignee_id).toBe(priya.member.id);
    });

    it('a move the workflow forbids answers 422 with why; nothing is saved', async () => {
      const { id, reference } = await insertInquiry(t);
      const html = (await open(sam, reference)).text;
      const res = await post(sam, `${reference}/triage`, triageOf(html, { status: 'waiting', priority: 'high' })).expect(422);
      expect(words(res.text)).toContain('There is a problem');
      expect(words(res.text)).toContain('This inquiry is New, and a New inquiry cannot move to Waiting. From New it can move to Open, Resolved or Spam.');
      expect(res.text).toContain('href="#status"');
      expect(selectOf(res.text, 'status').selected).toBe('new');
      expect(await row(id)).toMatchObject({ status: 'new', priority: 'normal', version: 1 });
    });

    it('an invalid field answers 400 with the error summary and keeps what was typed', async () => {
      const { id, reference } = await insertInquiry(t);
      const html = (await open(sam, reference)).text;
      const tags = `ok, ${'x'.repeat(51)}`;
      const res = await post(sam, `${reference}/triage`, triageOf(html, { tags, priority: 'loud' })).expect(400);
      expect(res.text).toContain('<title>Error: ');
      const summary = words(/<div class="error-summary"[\s\S]*?<\/div>/.exec(res.text)![0]);
      expect(summary).toContain('There is a problem');
      expect(summary).toContain('Select a priority from the list');
      expect(summary).toContain('Enter up to 20 tags, separated by commas, each 1 to 50 characters on one line');
      expect(res.text).toContain('<a href="#tags">');
      expect(fieldValue(res.text, 'tags')).toBe(tags);
      expect(res.text).toMatch(/aria-invalid="true"/);
      expect(await row(id)).toMatchObject({ tags: [], version: 1 });

      const noVersion = await post(sam, `${reference}/triage`, { ...triageOf(html), version: 'abc' }).expect(400);
      expect(words(noVersion.text)).toContain('This form is incomplete or out of date');
      expect((await row(id)).version).toBe(1);
    });

    it('refuses a post without the CSRF token with 403, and saves nothing', async () => {
      const { id, reference } = await insertInquiry(t);
      const html = (await open(sam, reference)).text;
      await sam.agent.post(`/admin/inquiries/${reference}/triage`).type('form').send(triageOf(html, { status: 'spam' })).expect(403);
      await sam.agent.post(`/admin/inquiries/${reference}/replies`).type('form').send({ body: 'Hello' }).expect(403);
      await sam.agent.post(`/admin/inquiries/${reference}/notes`).type('form').send({ body: 'Hello', _csrf: 'wrong' }).expect(403);
      expect(await row(id)).toMatchObject({ status: 'new', version: 1 });
      const [{ n }] = await t.db.query(
        `SELECT (SELECT count(*) FROM conversation_messages WHERE inquiry_id = $1) + (SELECT count(*) FROM inquiry_notes WHERE inquiry_id = $1) AS n`, [id]);
      expect(Number(n)).toBe(0);
    });
  });

  describe('writing', () => {
    it('sends a reply: 303 with "Reply sent to <email>", the message and its email stored, the inquiry waiting', async () => {
      const { id, reference } = await submit({ email: 'aisha.reply@example.org' });
      const html = (await open(sam, reference)).text;
      expect(html).toMatch(/<section class="writing writing--reply"/);
      expect(html).toMatch(/<label class="label" for="reply-body">Your reply<\/label>\s*<div id="reply-body-hint" class="hint">Sent by email to aisha.reply@example.org<\/div>/);
      expect(html).toContain('>Send reply</button>');

      const res = await post(sam, `${reference}/replies`, { body: 'Screening starts at 50.\r\nBest wishes' }).expect(303);
      expect(res.headers.location).toBe(`/admin/inquiries/${reference}`);
      const next = await open(sam, reference);
      expect(next.text).toMatch(/role="status" tabindex="-1" data-notice>\s*<p class="notice__text">Reply sent to aisha.reply@example.org<\/p>/);

      const [message] = await t.db.query(`SELECT direction, body, staff_id, outbound_email_id FROM conversation_messages WHERE inquiry_id = $1`, [id]);
      expect(message).toMatchObject({ direction: 'outbound', body: 'Screening starts at 50.\nBest wishes', staff_id: sam.member.id });
      const [email] = await t.db.query(`SELECT id, kind, recipient, status FROM outbound_emails WHERE id = $1`, [message.outbound_email_id]);
      expect(email).toMatchObject({ kind: 'reply', recipient: 'aisha.reply@example.org', status: 'pending' });
      expect(await row(id)).toMatchObject({ status: 'waiting' });
    });

    it('adds a note: "Note added", never an outbound email', async () => {
      const { id, reference } = await submit();
      const html = (await open(sam, reference)).text;
      expect(html).toMatch(/<section class="writing writing--note"/);
      expect(html).toMatch(/<label class="label" for="note-body">Internal note<\/label>\s*<div id="note-body-hint" class="hint">Only staff see notes. A note is never emailed.<\/div>/);
      expect(html).toMatch(/<button type="submit" class="button button--secondary button--note" aria-describedby="note-body-hint">Add note<\/button>/);
      const before = (await t.db.query(`SELECT count(*)::int AS n FROM outbound_emails WHERE inquiry_id = $1`, [id]))[0].n;

      await post(sam, `${reference}/notes`, { body: 'INTERNAL: call the trust first' }).expect(303);
      expect((await open(sam, reference)).text).toContain('<p class="notice__text">Note added</p>');
      const notes = await t.db.query(`SELECT body, staff_id FROM inquiry_notes WHERE inquiry_id = $1`, [id]);
      expect(notes).toEqual([{ body: 'INTERNAL: call the trust first', staff_id: sam.member.id }]);
      const after = await t.db.query(`SELECT kind, payload::text AS payload FROM outbound_emails WHERE inquiry_id = $1`, [id]);
      expect(after).toHaveLength(before);
      expect(after.some((e: { payload: string }) => e.payload.includes('INTERNAL'))).toBe(false);
      expect(await row(id)).toMatchObject({ status: 'new', version: 1 });
    });

    it('an empty reply or note answers 400 with the error summary and keeps the text', async () => {
      const { id, reference } = await submit();
      const reply = await post(sam, `${reference}/replies`, { body: '   \r\n ' }).expect(400);
      expect(words(reply.text)).toContain('There is a problem Enter your reply');
      expect(reply.text).toContain('<a href="#reply-body">Enter your reply</a>');
      expect(fieldValue(reply.text, 'reply-body')).toBe('   \n ');
      const note = await post(sam, `${reference}/notes`, { body: '' }).expect(400);
      expect(note.text).toContain('<a href="#note-body">Enter the note</a>');
      const long = await post(sam, `${reference}/replies`, { body: 'x'.repeat(10_001) }).expect(400);
      expect(words(long.text)).toContain('Shorten your reply: it can be up to 10,000 characters');
      expect(fieldValue(long.text, 'reply-body')).toHaveLength(10_001);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM conversation_messages WHERE inquiry_id = $1`, [id]);
      expect(n).toBe(0);
    });

    it('a resolved or spam inquiry says why it cannot be replied to; a reply posted anyway answers 422 and keeps the text', async () => {
      for (const [status, why] of [
        ['resolved', 'This inquiry is resolved, so a reply cannot be sent. To reply, change its status to Open first.'],
        ['spam', 'This inquiry is marked as spam, so a reply cannot be sent. If it is a real question, change its status to New first.'],
      ]) {
        const { id, reference } = await insertInquiry(t, { status });
        const page = (await open(sam, reference)).text;
        expect(words(page)).toContain(why);
        expect(page).not.toContain('>Send reply</button>');
        expect(page).toContain('>Add note</button>'); // a note is still possible

        const res = await post(sam, `${reference}/replies`, { body: 'My carefully written answer' }).expect(422);
        expect(words(res.text)).toContain('Your reply was not sent: this inquiry can no longer be replied to. Your text is kept below.');
        expect(words(res.text)).toContain(why);
        expect(fieldValue(res.text, 'reply-body')).toBe('My carefully written answer');
        expect(res.text).not.toContain('>Send reply</button>');
        const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbound_emails WHERE inquiry_id = $1`, [id]);
        expect(n).toBe(0);
        expect((await row(id)).status).toBe(status);
      }
    });

    it('"Insert saved reply" draws the page again with the saved reply after what was typed, and sends nothing', async () => {
      const saved = await request(t.http).post('/api/admin/canned-replies').set('Authorization', sam.member.auth)
        .send({ title: 'Screening ages', body: 'Screening starts at 50 in England.\nSee <nhs.uk>.' }).expect(201);
      const { id, reference } = await submit();
      const html = (await open(sam, reference)).text;
      const choices = selectOf(html, 'savedReply');
      expect(choices.labels[0]).toBe('Choose a saved reply');
      expect(choices.values).toContain(saved.body.id);
      expect(html).toContain(`formaction="/admin/inquiries/${reference}/replies/insert-saved"`);

      const res = await post(sam, `${reference}/replies/insert-saved`, { body: 'Dear Aisha,\r\n', savedReply: saved.body.id }).expect(200);
      expect(fieldValue(res.text, 'reply-body')).toBe('Dear Aisha,\n\nScreening starts at 50 in England.\nSee <nhs.uk>.');
      expect(res.text).toContain('See &lt;nhs.uk&gt;.');
      const none = await post(sam, `${reference}/replies/insert-saved`, { body: 'Kept', savedReply: '' }).expect(400);
      expect(none.text).toContain('<a href="#reply-body">Select a saved reply to insert</a>');
      expect(fieldValue(none.text, 'reply-body')).toBe('Kept');

      const [{ n }] = await t.db.query(
        `SELECT (SELECT count(*) FROM conversation_messages WHERE inquiry_id = $1) + (SELECT count(*) FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'reply') AS n`, [id]);
      expect(Number(n)).toBe(0);
    });
  });
});

describe('The inquiry page with the mail worker and a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      env: { WORKERS: 'inline', SMTP_URL: smtp.url },
      config: { mail: { backoffMs: 200, maxAttempts: 12, relayPollMs: 200, leaseMs: 3_000, concurrency: 4, maxConnections: 2 } },
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('a reply sent from the page arrives threaded under the acknowledgement, and the page then says "Sent"', async () => {
    const officer = await createStaffWithPassword(t, 'officer', { name: 'Sam Okafor' });
    const { agent, csrf } = await webSignIn(t, officer.email);
    const dto = validInquiry({ subject: 'Bowel screening age' });
    const { body: inquiry } = await request(t.http).post('/api/inquiries').send(dto).expect(201);
    const ack = await smtp.waitFor({ reference: inquiry.reference, kind: 'acknowledgement' });

    await agent.post(`/admin/inquiries/${inquiry.reference}/replies`).type('form')
      .send({ _csrf: csrf, body: 'Screening starts at 50 in England.' }).expect(303);
    const reply = await smtp.waitFor({ reference: inquiry.reference, kind: 'reply' });
    expect(reply.to).toEqual([dto.email]);
    expect(reply.subject).toBe(`Re: Bowel screening age [${inquiry.reference}]`);
    expect(reply.inReplyTo).toBe(ack.messageId);
    expect(reply.references).toEqual([ack.messageId]);
    expect(reply.text).toContain('Screening starts at 50 in England.');

    const deadline = Date.now() + 10_000;
    for (;;) {
      const [{ status }] = await t.db.query(`SELECT status FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'reply'`, [inquiry.id]);
      if (status === 'sent' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = (await agent.get(`/admin/inquiries/${inquiry.id}`).expect(200)).text;
    const item = /<li class="conversation__item conversation__item--reply">([\s\S]*?)<\/li>/.exec(page)![1];
    expect(words(item)).toMatch(/Reply by Sam Okafor .* Sent/);
  });
});
