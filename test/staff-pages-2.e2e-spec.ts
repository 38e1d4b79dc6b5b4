import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PLACEHOLDER_EMAIL } from '../src/privacy/anonymiser.js';
import { StatisticsService } from '../src/admin/inbox/statistics.service.js';
import { createTestApp, TestApp } from './support/app.js';
import { insertInquiry } from './inbox-fixtures.js';
import { createStaffWithPassword, csrfOf, TEST_PASSWORD, webSignIn } from './support/web.js';

type Agent = ReturnType<typeof request.agent>;

/**
 * The web inbox's team pages, part 2 (SPEC §8): Saved replies, Data protection, Audit log, Statistics, My account.
 * Each page and action over HTTP with a real session, checked in the database.
 */
describe('staff pages: saved replies, data protection, audit log, statistics, my account', () => {
  let t: TestApp;
  let admin: { id: string; email: string; name: string };
  let officer: { id: string; email: string; name: string };
  let asAdmin: { agent: Agent; csrf: string };
  let asOfficer: { agent: Agent; csrf: string };

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createStaffWithPassword(t, 'admin', { name: 'Priya Admin' });
    officer = await createStaffWithPassword(t, 'officer', { name: 'Sam Officer' });
    asAdmin = await webSignIn(t, admin.email);
    asOfficer = await webSignIn(t, officer.email);
  });
  afterAll(async () => t.close());

  const post = (who: { agent: Agent; csrf: string }, path: string, fields: Record<string, string> = {}) =>
    who.agent.post(path).type('form').send({ _csrf: who.csrf, ...fields });

  /** The page a 303 leads to (with the notice it left). */
  async function follow(who: { agent: Agent }, res: request.Response): Promise<request.Response> {
    expect(res.status).toBe(303);
    return who.agent.get(res.headers.location).expect(200);
  }

  describe('Saved replies (all staff)', () => {
    it('shows the empty list and the add form to an officer', async () => {
      const res = await asOfficer.agent.get('/admin/saved-replies').expect(200);
      expect(res.text).toContain('<title>Saved replies – Policy Inbox</title>');
      expect(res.text).toContain('There are no saved replies yet');
      expect(res.text).toMatch(/href="\/admin\/saved-replies" class="staff-nav__link" aria-current="page"/);
      expect(res.text).toContain('<label class="label" for="title">Title</label>');
      expect(res.text).toContain('<label class="label" for="body">Text</label>');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('adds a saved reply (303 and a notice), escaping what was typed', async () => {
      const res = await post(asOfficer, '/admin/saved-replies', {
        title: '  Thanks <b>we are on it</b> ', body: 'Dear enquirer,\r\n\r\nThank you for your question.\r\nWe will reply soon.',
      });
      expect(res.headers.location).toBe('/admin/saved-replies');
      const page = await follow(asOfficer, res);
      expect(page.text).toContain('role="status"');
      expect(page.text).toContain('Saved reply “Thanks &lt;b&gt;we are on it&lt;/b&gt;” added');
      expect(page.text).not.toContain('<b>we are on it</b>');
      expect(page.text).toContain('Dear enquirer, Thank you for your question.');
      const rows = await t.db.query(`SELECT title, body, created_by FROM canned_replies WHERE title LIKE 'Thanks%'`);
      expect(rows).toEqual([{ title: 'Thanks <b>we are on it</b>', body: 'Dear enquirer,\n\nThank you for your question.\nWe will reply soon.', created_by: officer.id }]);
      // The notice shows once.
      expect((await asOfficer.agent.get('/admin/saved-replies')).text).not.toContain('role="status"');
    });

    it('answers 400 with the error summary, keeping what was typed', async () => {
      const before = await t.db.query(`SELECT count(*)::int AS n FROM canned_replies`);
      const empty = await post(asOfficer, '/admin/saved-replies', { title: ' ', body: '   ' }).expect(400);
      expect(empty.text).toContain('<title>Error: Saved replies – Policy Inbox</title>');
      expect(empty.text).toContain('There is a problem');
      expect(empty.text).toContain('<a href="#title">Enter a title</a>');
      expect(empty.text).toContain('<a href="#body">Enter the text of the saved reply</a>');
      expect(empty.text).toContain('id="title-error"');

      const long = await post(asOfficer, '/admin/saved-replies', { title: 'x'.repeat(201), body: 'Kept text' }).expect(400);
      expect(long.text).toContain('Enter a title of 200 characters or fewer, on one line');
      expect(long.text).toContain('>Kept text</textarea>');
      expect(long.text).not.toContain('<a href="#body">');
      const after = await t.db.query(`SELECT count(*)::int AS n FROM canned_replies`);
      expect(after).toEqual(before);
    });

    it('refuses a post without the CSRF token', async () => {
      await asOfficer.agent.post('/admin/saved-replies').type('form').send({ title: 'No token', body: 'Text' }).expect(403);
      expect(await t.db.query(`SELECT 1 FROM canned_replies WHERE title = 'No token'`)).toEqual([]);
    });

    it('changes a saved reply on its own page, with 400 for a bad change', async () => {
      const [{ id }] = await t.db.query(
        `INSERT INTO canned_replies (id, title, body) VALUES ($1, 'Screening age', 'Bowel screening starts at 50.') RETURNING id`, [randomUUID()]);
      const edit = await asOfficer.agent.get(`/admin/saved-replies/${id}`).expect(200);
      expect(edit.text).toContain('<title>Change saved reply: Screening age – Policy Inbox</title>');
      expect(edit.text).toContain('value="Screening age"');
      expect(edit.text).toContain('>Bowel screening starts at 50.</textarea>');

      const bad = await post(asOfficer, `/admin/saved-replies/${id}`, { title: 'Screening age', body: '' }).expect(400);
      expect(bad.text).toContain('<a href="#body">Enter the text of the saved reply</a>');

      const saved = await post(asOfficer, `/admin/saved-replies/${id}`, { title: 'Screening ages', body: 'Bowel screening starts at 50 in England.' });
      expect((await follow(asOfficer, saved)).text).toContain('Saved reply “Screening ages” saved');
      const [row] = await t.db.query(`SELECT title, body FROM canned_replies WHERE id = $1`, [id]);
      expect(row).toEqual({ title: 'Screening ages', body: 'Bowel screening starts at 50 in England.' });
    });

    it('deletes a saved reply only after the confirmation', async () => {
      const [{ id }] = await t.db.query(
        `INSERT INTO canned_replies (id, title, body) VALUES ($1, 'Old reply', 'No longer used.') RETURNING id`, [randomUUID()]);
      const confirm = await asOfficer.agent.get(`/admin/saved-replies/${id}/delete`).expect(200);
      expect(confirm.text).toContain('Are you sure you want to delete the saved reply “Old reply”?');
      expect(confirm.text).toContain(`action="/admin/saved-replies/${id}/delete"`);
      expect(confirm.text).toContain('Yes, delete this saved reply');
      expect(await t.db.query(`SELECT 1 FROM canned_replies WHERE id = $1`, [id])).toHaveLength(1);

      const done = await post(asOfficer, `/admin/saved-replies/${id}/delete`);
      expect((await follow(asOfficer, done)).text).toContain('Saved reply “Old reply” deleted');
      expect(await t.db.query(`SELECT 1 FROM canned_replies WHERE id = $1`, [id])).toEqual([]);
    });

    it('answers 404 pages for a saved reply that does not exist', async () => {
      for (const path of [`/admin/saved-replies/${randomUUID()}`, '/admin/saved-replies/not-an-id', `/admin/saved-replies/${randomUUID()}/delete`]) {
        const res = await asOfficer.agent.get(path);
        expect(`${path} ${res.status}`).toBe(`${path} 404`);
        expect(res.text).toContain('Page not found');
      }
      await post(asOfficer, `/admin/saved-replies/${randomUUID()}/delete`).expect(404);
    });
  });

  describe('admin pages refuse officers', () => {
    it('answers the 403 page to an officer, GET and POST alike, and changes nothing', async () => {
      const runsBefore = await t.db.query(`SELECT count(*)::int AS n FROM retention_runs`);
      for (const path of ['/admin/data-protection', '/admin/audit', '/admin/statistics', '/admin/audit?action=data-subject.']) {
        const res = await asOfficer.agent.get(path);
        expect(`GET ${path} ${res.status}`).toBe(`GET ${path} 403`);
        expect(res.text).toContain('You need to be an admin to use this page');
      }
      const inquiry = await insertInquiry(t);
      for (const [path, fields] of [
        ['/admin/data-protection/retention', {}],
        ['/admin/data-protection/subject-access', { email: inquiry.email }],
        ['/admin/data-protection/erasure', { email: inquiry.email, confirmation: inquiry.email }],
      ] as const) {
        const res = await post(asOfficer, path, fields);
        expect(`POST ${path} ${res.status}`).toBe(`POST ${path} 403`);
        expect(res.text).toContain('You need to be an admin to use this page');
      }
      expect(await t.db.query(`SELECT count(*)::int AS n FROM retention_runs`)).toEqual(runsBefore);
      expect(await t.db.query(`SELECT email FROM inquiries WHERE id = $1`, [inquiry.id])).toEqual([{ email: inquiry.email }]);
      expect(await t.db.query(`SELECT 1 FROM audit_events WHERE actor_id = $1 AND action <> 'auth.signed-in'`, [officer.id])).toEqual([]);
    });

    it('does not show the admin pages in an officer\'s navigation', async () => {
      const res = await asOfficer.agent.get('/admin/account').expect(200);
      expect(res.text).not.toContain('href="/admin/audit"');
      expect(res.text).toContain('href="/admin/saved-replies"');
    });
  });

  describe('Data protection (admins)', () => {
    it('shows no runs yet, then runs retention now: 303, a notice with the counts, the run in the table', async () => {
      const empty = await asAdmin.agent.get('/admin/data-protection').expect(200);
      expect(empty.text).toContain('<title>Data protection – Policy Inbox</title>');
      expect(empty.text).toContain('Retention has not run yet');
      expect(empty.text).toContain('Run retention now');

      const old = await insertInquiry(t, { status: 'resolved' });
      await t.db.query(`UPDATE inquiries SET resolved_at = now() - interval '30 months' WHERE id = $1`, [old.id]);
      const res = await post(asAdmin, '/admin/data-protection/retention');
      expect(res.headers.location).toBe('/admin/data-protection');
      const page = await follow(asAdmin, res);
      expect(page.text).toContain('Retention has run: 1 inquiry and 0 inbound messages anonymised');
      expect(page.text).toContain('Retention runs, newest first');
      expect(page.text).toContain('Run now by an admin');
      const runs = await t.db.query(`SELECT trigger, anonymised_count FROM retention_runs`);
      expect(runs).toEqual([{ trigger: 'manual', anonymised_count: 1 }]);
      const [row] = await t.db.query(`SELECT email, anonymised_at IS NOT NULL AS anonymised FROM inquiries WHERE id = $1`, [old.id]);
      expect(row).toEqual({ email: PLACEHOLDER_EMAIL, anonymised: true });
    });

    it('pages the retention runs with "Next page"', async () => {
      for (let i = 0; i < 26; i++) {
        await t.db.query(
          `INSERT INTO retention_runs (id, trigger, run_date, cutoff, started_at, finished_at)
           VALUES ($1, 'scheduled', DATE '2020-01-01' + $2::int, now(), TIMESTAMPTZ '2020-01-01 02:30Z' + make_interval(days => $2::int), TIMESTAMPTZ '2020-01-01 02:31Z' + make_interval(days => $2::int))`,
          [randomUUID(), i]);
      }
      const first = await asAdmin.agent.get('/admin/data-protection').expect(200);
      expect(first.text).toContain('Daily schedule');
      const next = /href="(\/admin\/data-protection\?cursor=[^"]+)" rel="next"/.exec(first.text);
      expect(next).not.toBeNull();
      const second = await asAdmin.agent.get(next![1].replace(/&amp;/g, '&')).expect(200);
      expect(second.text).toContain('Retention runs, newest first (continued)');
      expect((second.text.match(/Daily schedule/g) ?? []).length).toBe(2);
      expect(second.text).not.toContain('rel="next"');
      await asAdmin.agent.get('/admin/data-protection?cursor=garbage').expect(400);
    });

    it('downloads everything held about an address as a JSON attachment, without the address in the URL', async () => {
      const inquiry = await insertInquiry(t, { name: 'Nia Subject', email: `nia.${randomUUID().slice(0, 8)}@example.org` });
      const res = await post(asAdmin, '/admin/data-protection/subject-access', { email: `  ${inquiry.email.toUpperCase()} ` }).expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="subject-access-\d{4}-\d{2}-\d{2}\.json"$/);
      expect(res.headers['content-disposition']).not.toContain('nia');
      expect(res.headers['cache-control']).toBe('no-store');
      const data = JSON.parse(res.text);
      expect(data.subject).toBe(inquiry.email);
      expect(data.inquiries).toEqual([expect.objectContaining({ id: inquiry.id, reference: inquiry.reference, name: 'Nia Subject' })]);
      const [entry] = await t.db.query(`SELECT actor_id, changes FROM audit_events WHERE action = 'data-subject.exported' ORDER BY created_at DESC LIMIT 1`);
      expect(entry.actor_id).toBe(admin.id);
      expect(JSON.stringify(entry.changes)).not.toContain(inquiry.email);
    });

    it('answers 400 on the page for a subject-access address that is missing or not an address', async () => {
      const missing = await post(asAdmin, '/admin/data-protection/subject-access', { email: '' }).expect(400);
      expect(missing.headers['content-type']).toMatch(/^text\/html/);
      expect(missing.text).toContain('<title>Error: Data protection – Policy Inbox</title>');
      expect(missing.text).toContain('<a href="#export-email">Enter the email address</a>');
      const bad = await post(asAdmin, '/admin/data-protection/subject-access', { email: 'not an address' }).expect(400);
      expect(bad.text).toContain('<a href="#export-email">Enter an email address in the correct format, like name@example.org</a>');
      expect(bad.text).toContain('value="not an address"');
    });

    it('erases only when the address is typed twice the same, then says what was erased', async () => {
      const email = `erase.${randomUUID().slice(0, 8)}@example.org`;
      const inquiry = await insertInquiry(t, { email, name: 'Erin Erase' });
      const stillThere = async () => (await t.db.query(`SELECT email FROM inquiries WHERE id = $1`, [inquiry.id]))[0].email;

      const noConfirmation = await post(asAdmin, '/admin/data-protection/erasure', { email, confirmation: '' }).expect(400);
      expect(noConfirmation.text).toContain('<a href="#erase-confirmation">Type the email address again to confirm</a>');
      const different = await post(asAdmin, '/admin/data-protection/erasure', { email, confirmation: `x${email}` }).expect(400);
      expect(different.text).toContain('<a href="#erase-confirmation">The two email addresses are not the same: type the address again exactly</a>');
      const badAddress = await post(asAdmin, '/admin/data-protection/erasure', { email: 'nobody', confirmation: 'nobody' }).expect(400);
      expect(badAddress.text).toContain('<a href="#erase-email">Enter an email address in the correct format, like name@example.org</a>');
      expect(await stillThere()).toBe(email);
      expect(await t.db.query(`SELECT 1 FROM audit_events WHERE action = 'data-subject.erased'`)).toEqual([]);

      const res = await post(asAdmin, '/admin/data-protection/erasure', { email, confirmation: ` ${email.toUpperCase()}` });
      expect(res.headers.location).toBe('/admin/data-protection');
      const page = await follow(asAdmin, res);
      expect(page.text).toContain('Erased: 1 inquiry and 0 inbound emails anonymised, and every other mention of the address replaced');
      expect(page.text).not.toContain(email);
      expect(await stillThere()).toBe(PLACEHOLDER_EMAIL);
      const [entry] = await t.db.query(`SELECT actor_id, changes FROM audit_events WHERE action = 'data-subject.erased'`);
      expect(entry.actor_id).toBe(admin.id);
      expect(entry.changes.inquiries).toEqual({ from: null, to: 1 });
    });
  });

  describe('Audit log (admins)', () => {
    async function record(fields: { action: string; at?: string; actorId?: string | null; actorEmail?: string | null; inquiryId?: string | null; changes?: object }) {
      await t.db.query(
        `INSERT INTO audit_events (id, inquiry_id, actor_id, actor_email, action, changes, created_at) VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::timestamptz, now()))`,
        [randomUUID(), fields.inquiryId ?? null, fields.actorId ?? null, fields.actorEmail ?? null, fields.action, JSON.stringify(fields.changes ?? {}), fields.at ?? null]);
    }

    it('shows the filters, and says so when nothing matches', async () => {
      const res = await asAdmin.agent.get('/admin/audit?action=topic.created&from=2001-01-01&to=2001-01-02').expect(200);
      expect(res.text).toContain('<title>Audit log – Policy Inbox</title>');
      for (const label of ['Action', 'Person', 'Inquiry reference', 'From', 'To']) expect(res.text).toContain(`>${label}</label>`);
      expect(res.text).toContain('type="date"');
      expect(res.text).toContain('Apply filters');
      expect(res.text).toContain(`<option value="${admin.id}">Priya Admin (${admin.email})</option>`);
      expect(res.text).toContain('<option value="topic.created" selected>Added a topic</option>');
      expect(res.text).toContain('Nothing in the audit log matches these filters.');
    });

    it('shows who did what, to which inquiry, and the changes in words; "System" when nobody', async () => {
      const inquiry = await insertInquiry(t);
      await record({ action: 'inquiry.updated', actorId: admin.id, actorEmail: admin.email, inquiryId: inquiry.id,
        changes: { status: { from: 'new', to: 'open' }, assigneeId: { from: null, to: officer.id }, tags: { from: [], to: ['nhs', 'urgent'] } } });
      await record({ action: 'inquiry.anonymised', inquiryId: inquiry.id, changes: { reason: { from: null, to: 'retention' } } });
      const res = await asAdmin.agent.get(`/admin/audit?inquiry=${inquiry.reference.toLowerCase()}`).expect(200);
      const table = res.text.slice(res.text.indexOf('<table'));
      expect(table).toContain('Audit entries matching the filters, newest first');
      expect(res.text).toContain(`<a href="/admin/inquiries/${inquiry.reference}">${inquiry.reference}</a>`);
      expect(res.text).toContain('Changed an inquiry');
      expect(res.text).toContain('Anonymised an inquiry');
      expect(res.text).toContain('<span class="muted">System</span>');
      expect(res.text).toMatch(/Status:<\/span> new <span aria-hidden="true">→<\/span><span class="visually-hidden"> to<\/span> open/);
      expect(res.text).toContain('Assigned to:</span> Sam Officer');
      expect(res.text).toMatch(/Tags:<\/span> none <span aria-hidden="true">→<\/span><span class="visually-hidden"> to<\/span> nhs, urgent/);
      expect(table.indexOf('Anonymised an inquiry')).toBeLessThan(table.indexOf('Changed an inquiry'));
      expect(table.match(/<tbody>[\s\S]*<\/tbody>/)![0].match(/<tr>/g)).toHaveLength(2);
    });

    it('lists the data-protection actions done on the pages, by action prefix and person', async () => {
      const res = await asAdmin.agent.get(`/admin/audit?action=data-subject.&actorId=${admin.id}`).expect(200);
      expect(res.text).toContain('<option value="data-subject." selected>Subject access and erasure</option>');
      expect(res.text).toContain('Downloaded everything held about a person');
      expect(res.text).toContain('Erased everything about a person');
      expect(res.text).toContain('Priya Admin');
      expect(res.text).toContain('Inquiries:</span> 1');
      const table = res.text.slice(res.text.indexOf('<table'));
      expect(table).not.toContain('Changed an inquiry');
      expect(table).not.toMatch(/erase\.[0-9a-f]{8}@example\.org/);
    });

    it('answers 400 with the error summary for bad filters', async () => {
      const res = await asAdmin.agent.get('/admin/audit?from=yesterday&to=2026-02-30&inquiry=nope&actorId=x').expect(400);
      expect(res.text).toContain('<title>Error: Audit log – Policy Inbox</title>');
      expect(res.text).toContain('There is a problem');
      expect(res.text).toContain('<a href="#from">Enter the From date as a real date, like 2026-11-24</a>');
      expect(res.text).toContain('<a href="#to">Enter the To date as a real date, like 2026-11-30</a>');
      expect(res.text).toContain('<a href="#inquiry">Inquiry must be a reference like POL-7K3M9Q</a>');
      expect(res.text).toContain('<a href="#actorId">Choose a person from the list</a>');
      expect(res.text).toContain('value="yesterday"');
      const unknown = await asAdmin.agent.get('/admin/audit?inquiry=POL-AAAAAA').expect(400);
      expect(unknown.text).toContain('No inquiry has the reference POL-AAAAAA');
      const cursor = await asAdmin.agent.get('/admin/audit?cursor=garbage').expect(400);
      expect(cursor.text).toContain('<a href="#cursor">The link to the next page is not valid.');
    });

    it('pages with "Next page", keeping the filters', async () => {
      for (let i = 0; i < 30; i++) {
        await record({ action: 'test.paging', actorId: admin.id, actorEmail: admin.email, at: `2015-03-${String(1 + (i % 28)).padStart(2, '0')}T10:${String(i).padStart(2, '0')}:00Z` });
      }
      const first = await asAdmin.agent.get('/admin/audit?action=test.paging').expect(200);
      expect((first.text.match(/<code>test.paging<\/code>/g) ?? []).length).toBe(25);
      const next = /href="(\/admin\/audit\?[^"]+)" rel="next"/.exec(first.text);
      expect(next![1]).toMatch(/^\/admin\/audit\?action=test\.paging&amp;cursor=/);
      const second = await asAdmin.agent.get(next![1].replace(/&amp;/g, '&')).expect(200);
      expect((second.text.match(/<code>test.paging<\/code>/g) ?? []).length).toBe(5);
      expect(second.text).toContain('(continued)');
      expect(second.text).not.toContain('rel="next"');
    });
  });

  describe('Statistics (admins)', () => {
    it('counts inquiries per UK week and topic, spam left out, and shows them as a chart and a table', async () => {
      await t.db.query(`INSERT INTO topics (key, label, sort_order) VALUES ('stats-test', 'Statistics test topic', 5)`);
      // The Monday two weeks ago, 00:30 in London, starts that week; 23:30 on the Sunday before belongs to the week before.
      const [{ monday, sunday }] = await t.db.query(
        `SELECT ((date_trunc('week', now() AT TIME ZONE 'Europe/London') - interval '2 weeks' + interval '30 minutes') AT TIME ZONE 'Europe/London') AS monday,
                ((date_trunc('week', now() AT TIME ZONE 'Europe/London') - interval '2 weeks' - interval '30 minutes') AT TIME ZONE 'Europe/London') AS sunday`);
      for (let i = 0; i < 3; i++) await insertInquiry(t, { topic: 'stats-test', createdAt: new Date(monday).toISOString() });
      await insertInquiry(t, { topic: 'stats-test', createdAt: new Date(sunday).toISOString() });
      await insertInquiry(t, { topic: 'stats-test', createdAt: new Date(monday).toISOString(), status: 'spam' });
      await insertInquiry(t, { topic: 'stats-test', createdAt: new Date(Date.now() - 200 * 86_400_000).toISOString() });

      const weekly = await t.app.get(StatisticsService).weeklyByTopic();
      expect(weekly.weeks).toHaveLength(12);
      const counts = weekly.weeks.map((w) => w.counts['stats-test']);
      expect(counts).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0]);
      expect(weekly.topics.find((x) => x.key === 'stats-test')).toEqual({ key: 'stats-test', label: 'Statistics test topic', total: 4 });
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM inquiries WHERE status <> 'spam'
            AND created_at >= (date_trunc('week', now() AT TIME ZONE 'Europe/London') - interval '11 weeks') AT TIME ZONE 'Europe/London'`);
      expect(weekly.total).toBe(n);

      const res = await asAdmin.agent.get('/admin/statistics').expect(200);
      expect(res.text).toContain('<title>Statistics – Policy Inbox</title>');
      expect(res.text).toMatch(/<svg class="chart"[^>]* role="img" aria-label="Stacked bar chart of inquiries per week by topic for the 12 weeks from [^"]+: \d+ inquir(y|ies) in all/);
      expect(res.text).toContain('Inquiries per week by topic, last 12 weeks (spam left out)</caption>');
      expect(res.text).toContain('<th scope="col" class="numeric">Statistics test topic</th>');
      expect(res.text).toContain('Statistics test topic <span class="muted">(4)</span>');
      expect((res.text.match(/<th scope="row"><time datetime="\d{4}-\d{2}-\d{2}">/g) ?? []).length).toBe(12);
      expect(res.text).toContain('Overdue now');
      expect(res.text).toContain('Median time to first reply');
      expect(res.text).toContain('Inquiries by status, all time');
      expect(res.text).toMatch(/<th scope="row">Spam<\/th><td class="numeric">[1-9]\d*<\/td>/);
    });

    it('shows the median first response in words once there is one', async () => {
      await insertInquiry(t, { createdAt: new Date(Date.now() - 30 * 3600_000).toISOString(), firstResponseAt: new Date(Date.now() - 4 * 3600_000).toISOString() });
      const res = await asAdmin.agent.get('/admin/statistics').expect(200);
      expect(res.text).toMatch(/<dd class="stat-figures__value">\d+(\.\d)? hours?<\/dd>/);
    });
  });

  describe('My account (all staff)', () => {
    it('shows who I am and the password form, with a CSRF token', async () => {
      const res = await asOfficer.agent.get('/admin/account').expect(200);
      expect(res.text).toContain('<title>My account – Policy Inbox</title>');
      expect(res.text).toContain('<dd>Sam Officer</dd>');
      expect(res.text).toContain(`<dd>${officer.email}</dd>`);
      expect(res.text).toContain('<dd>Policy officer</dd>');
      for (const label of ['Current password', 'New password', 'Type the new password again']) expect(res.text).toContain(`>${label}</label>`);
      expect(res.text).toContain('12 to 200 characters');
      expect(csrfOf(res.text)).toBe(asOfficer.csrf);
    });

    it('answers 400 on the page for a wrong current password, a short one, or two that differ', async () => {
      const person = await createStaffWithPassword(t, 'officer');
      const me = await webSignIn(t, person.email);
      const [before] = await t.db.query(`SELECT password_hash, token_version FROM staff WHERE id = $1`, [person.id]);
      const change = (fields: Record<string, string>) => post(me, '/admin/account/password', fields);

      const wrong = await change({ currentPassword: 'not my password', newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' }).expect(400);
      expect(wrong.text).toContain('<title>Error: My account – Policy Inbox</title>');
      expect(wrong.text).toContain('<a href="#currentPassword">Your current password is not right</a>');
      const short = await change({ currentPassword: TEST_PASSWORD, newPassword: 'too short', confirmPassword: 'too short' }).expect(400);
      expect(short.text).toContain('<a href="#newPassword">Enter a new password of 12 to 200 characters</a>');
      const differ = await change({ currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase', confirmPassword: 'a brand new passphrasf' }).expect(400);
      expect(differ.text).toContain('<a href="#confirmPassword">The new passwords are not the same: type the new password again</a>');
      const same = await change({ currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD, confirmPassword: TEST_PASSWORD }).expect(400);
      expect(same.text).toContain('Your new password must be different from your current one');
      const empty = await change({ currentPassword: '', newPassword: '', confirmPassword: '' }).expect(400);
      expect(empty.text).toContain('<a href="#currentPassword">Enter your current password</a>');
      // Nothing typed is sent back into the page.
      expect(wrong.text).not.toContain('a brand new passphrase');

      const [after] = await t.db.query(`SELECT password_hash, token_version FROM staff WHERE id = $1`, [person.id]);
      expect(after).toEqual(before);
      expect((await me.agent.get('/admin/account')).status).toBe(200);
    });

    it('changes the password: every other session ends, this browser stays signed in, and it is audited', async () => {
      const person = await createStaffWithPassword(t, 'officer', { name: 'Kai Changer' });
      const elsewhere = await webSignIn(t, person.email);
      const here = await webSignIn(t, person.email);
      const [before] = await t.db.query(`SELECT token_version FROM staff WHERE id = $1`, [person.id]);
      const next = 'seven purple kites over the harbour';

      const res = await post(here, '/admin/account/password', { currentPassword: TEST_PASSWORD, newPassword: next, confirmPassword: next });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/admin/account');
      expect(String(res.headers['set-cookie'])).toMatch(/pi_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax/);

      const page = await here.agent.get('/admin/account').expect(200);
      expect(page.text).toContain('Your password has been changed');
      expect(page.text).toContain('role="status"');
      // This browser's new session has its own CSRF token, and its forms work.
      const csrf = csrfOf(page.text);
      expect(csrf).not.toBe(here.csrf);
      await here.agent.post('/admin/saved-replies').type('form').send({ _csrf: csrf, title: 'After the change', body: 'Still signed in.' }).expect(303);

      const other = await elsewhere.agent.get('/admin/saved-replies');
      expect(other.status).toBe(303);
      expect(other.headers.location).toBe('/admin/login?next=%2Fadmin%2Fsaved-replies');
      const [after] = await t.db.query(`SELECT token_version FROM staff WHERE id = $1`, [person.id]);
      expect(after.token_version).toBe(before.token_version + 1);
      // One live session is left, this browser's new one; the two older ones (this browser's included) are dead.
      const sessions = await t.db.query(`SELECT token_version FROM staff_sessions WHERE staff_id = $1 ORDER BY created_at`, [person.id]);
      expect(sessions.map((x: { token_version: number }) => x.token_version)).toEqual([before.token_version, before.token_version, after.token_version]);
      const [entry] = await t.db.query(`SELECT actor_id, actor_email FROM audit_events WHERE action = 'staff.password-changed'`);
      expect(entry).toEqual({ actor_id: person.id, actor_email: person.email });

      await expect(webSignIn(t, person.email)).rejects.toThrow(/Sign-in answered 401/);
      await webSignIn(t, person.email, next);
    });
  });
});
