import request from 'supertest';
import { InboxListService } from '../src/admin/inbox/inbox-list.service.js';
import { createTestApp, TestApp } from './support/app.js';
import { createStaffWithPassword, webSignIn } from './support/web.js';
import type { TestStaff } from './support/staff.js';
import { insertInquiry, InquiryFields, Seeded, ukDay } from './inbox-fixtures.js';

type Agent = ReturnType<typeof request.agent>;

/** The inbox page (SPEC §8) over HTTP: views and counts, filters, search, paging, CSV, errors, escaping. */
describe('GET /admin/inbox (the inbox page)', () => {
  let t: TestApp;
  let officer: TestStaff;
  let colleague: TestStaff;
  let agent: Agent;

  beforeAll(async () => {
    t = await createTestApp();
    officer = await createStaffWithPassword(t, 'officer', { name: 'Olivia Officer' });
    colleague = await createStaffWithPassword(t, 'officer', { name: 'Colin Colleague' });
    ({ agent } = await webSignIn(t, officer.email));
  });
  afterAll(async () => t.close());

  const page = (query: Record<string, string> = {}, status = 200) => agent.get('/admin/inbox').query(query).expect(status);
  /** Each test works in its own day, so the others' inquiries never get in its way. */
  const onDay = (day: string, fields: InquiryFields = {}, time = '12:00:00Z') => insertInquiry(t, { createdAt: `${day}T${time}`, ...fields });
  const day = (d: string) => ({ createdFrom: d, createdTo: d });

  /** The references in the table, in the order shown. */
  const listed = (html: string): string[] =>
    [...html.matchAll(/<th scope="row" class="inbox-row__reference"><a href="\/admin\/inquiries\/(POL-[0-9A-Z]{6})">/g)].map((m) => m[1]);
  const refs = (...seeded: Seeded[]) => seeded.map((s) => s.reference);
  const sorted = (a: string[]) => [...a].sort();

  /** The count beside each view's name in the "Inbox views" navigation. */
  const viewCounts = (html: string): Record<string, number> => {
    const nav = /<nav class="views-nav" aria-label="Inbox views">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
    return Object.fromEntries([...nav.matchAll(/>([A-Za-z ]+) <span class="count inbox-count">([\d,]+)</g)]
      .map((m) => [m[1], Number(m[2].replace(/,/g, ''))]));
  };
  const currentView = (html: string) => /<a class="views-nav__link" href="[^"]*" aria-current="page">([A-Za-z ]+) </.exec(html)?.[1];
  const nextHref = (html: string) => /<a class="pagination__next" href="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  const caption = (html: string) => /<caption>([^<]*)<\/caption>/.exec(html)?.[1];

  it('counts every view in one look: working views live, resolved and spam cached until invalidated', async () => {
    // The first test, on a fresh database: these are all the inquiries there are.
    await onDay('2019-01-01', { status: 'new' });
    await onDay('2019-01-01', { status: 'new', expectedResponseBy: ukDay(-3) });
    await onDay('2019-01-01', { status: 'open', assigneeId: officer.id });
    await onDay('2019-01-01', { status: 'waiting', assigneeId: colleague.id, expectedResponseBy: ukDay(-1) });
    await onDay('2019-01-01', { status: 'waiting' });
    for (let i = 0; i < 3; i++) await onDay('2019-01-01', { status: 'resolved', expectedResponseBy: ukDay(-30) });
    await onDay('2019-01-01', { status: 'spam', expectedResponseBy: ukDay(-30) });
    await onDay('2019-01-01', { status: 'spam', assigneeId: officer.id });

    const res = await page();
    expect(viewCounts(res.text)).toEqual({
      Unassigned: 3, Mine: 1, 'All open': 5, Overdue: 2, Waiting: 2, Snoozed: 0, Resolved: 3, Spam: 2,
    });
    // "Mine" is whoever is signed in.
    const { agent: theirs } = await webSignIn(t, colleague.email);
    expect(viewCounts((await theirs.get('/admin/inbox').expect(200)).text)).toMatchObject({ Mine: 1 });

    // A status change made behind this process's back: the working views see it at once, resolved waits for the cache.
    await onDay('2019-01-01', { status: 'resolved' });
    await onDay('2019-01-01', { status: 'open' });
    expect(viewCounts((await page()).text)).toMatchObject({ 'All open': 6, Resolved: 3 });
    t.app.get(InboxListService).invalidateCounts();
    expect(viewCounts((await page()).text)).toMatchObject({ 'All open': 6, Resolved: 4, Spam: 2 });
  });

  it('shows All open by default, with the title, heading and the views as links with aria-current', async () => {
    const res = await page();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('<title>All open – Inbox – Policy Inbox</title>');
    expect(res.text).toContain('<h1>Inbox</h1>');
    expect(currentView(res.text)).toBe('All open');
    for (const view of ['unassigned', 'mine', 'open', 'overdue', 'waiting', 'resolved', 'spam']) {
      expect(res.text).toContain(`href="/admin/inbox?view=${view}"`);
    }
    expect(currentView((await page({ view: 'spam' })).text)).toBe('Spam');
    expect((await page({ view: 'mine' })).text).toContain('<title>Mine – Inbox – Policy Inbox</title>');
    // The staff navigation marks the inbox as the current section.
    expect(res.text).toMatch(/href="\/admin\/inbox" class="staff-nav__link" aria-current="page">Inbox</);
  });

  it('lists the right inquiries in each view', async () => {
    const d = '2019-02-01';
    const fresh = await onDay(d, { status: 'new' }, '09:00:00Z');
    const mine = await onDay(d, { status: 'open', assigneeId: officer.id }, '09:01:00Z');
    const theirs = await onDay(d, { status: 'open', assigneeId: colleague.id, expectedResponseBy: ukDay(-2) }, '09:02:00Z');
    const waiting = await onDay(d, { status: 'waiting' }, '09:03:00Z');
    const resolved = await onDay(d, { status: 'resolved', assigneeId: officer.id, expectedResponseBy: ukDay(-2) }, '09:04:00Z');
    const spam = await onDay(d, { status: 'spam' }, '09:05:00Z');
    const inView = async (view: string) => sorted(listed((await page({ view, ...day(d) })).text));
    expect(await inView('unassigned')).toEqual(sorted(refs(fresh, waiting)));
    expect(await inView('mine')).toEqual(sorted(refs(mine)));
    expect(await inView('open')).toEqual(sorted(refs(fresh, mine, theirs, waiting)));
    expect(await inView('overdue')).toEqual(sorted(refs(theirs)));
    expect(await inView('waiting')).toEqual(sorted(refs(waiting)));
    expect(await inView('resolved')).toEqual(sorted(refs(resolved)));
    expect(await inView('spam')).toEqual(sorted(refs(spam)));
    // Newest first unless asked otherwise; oldest first on request.
    expect(listed((await page({ view: 'open', ...day(d) })).text)).toEqual(refs(waiting, theirs, mine, fresh));
    expect(listed((await page({ view: 'open', sort: 'oldest', ...day(d) })).text)).toEqual(refs(fresh, mine, theirs, waiting));
  });

  it('shows each row in words: reference link, sender and organisation, topic label, status, priority, assignee, dates', async () => {
    const d = '2026-12-01';
    const urgent = await onDay(d, {
      name: 'Priya Shah', organisation: 'Bowel Cancer Research Group', topic: 'workforce', status: 'open', priority: 'urgent',
      subject: 'Radiographer vacancies', expectedResponseBy: '2026-12-08', assigneeId: colleague.id,
    }, '14:05:00Z');
    const late = await onDay(d, { status: 'new', priority: 'high', expectedResponseBy: ukDay(-1) }, '10:00:00Z');
    const res = await page(day(d));
    expect(caption(res.text)).toBe('All open, filtered – 2 inquiries, newest first');
    const row = (s: Seeded) => new RegExp(`<tr class="([^"]*)">\\s*(?:<td class="inbox-row__select"><input [^>]*><label [^>]*>[^<]*</label></td>\\s*)?<th scope="row" class="inbox-row__reference"><a href="/admin/inquiries/${s.reference}">${s.reference}</a></th>([\\s\\S]*?)</tr>`).exec(res.text);
    const [, urgentClass, urgentCells] = row(urgent)!;
    expect(urgentClass).toContain('inbox-row--urgent');
    expect(urgentCells).toContain('Radiographer vacancies');
    expect(urgentCells).toContain('Priya Shah<span class="inbox-row__organisation">Bowel Cancer Research Group</span>');
    expect(urgentCells).toContain('<td>Cancer workforce</td>');
    expect(urgentCells).toContain('<td>Open</td>');
    expect(urgentCells).toContain('<strong class="tag tag--urgent">Urgent</strong>');
    expect(urgentCells).toContain('<td>Colin Colleague</td>');
    expect(urgentCells).toContain('<time datetime="2026-12-01T14:05:00.000Z">1 Dec 2026, 14:05</time>');
    expect(urgentCells).toContain('<time datetime="2026-12-08">8 Dec 2026</time>');
    expect(urgentCells).not.toContain('Overdue');

    const [, lateClass, lateCells] = row(late)!;
    expect(lateClass).toContain('inbox-row--overdue');
    expect(lateCells).toContain('<strong class="tag tag--high">High</strong>');
    expect(lateCells).toContain('<td>New</td>');
    expect(lateCells).toContain('<span class="muted">Unassigned</span>');
    expect(lateCells).toContain('<strong class="tag tag--overdue">Overdue</strong>');
    expect(lateCells).toContain('<td>Waiting times and cancer services</td>');

    // Summer: the time is UK time (BST), the datetime attribute the instant.
    const summer = await page(day('2026-07-01'));
    expect(listed(summer.text)).toEqual([]);
    await onDay('2026-07-01', {}, '08:30:00Z');
    expect((await page(day('2026-07-01'))).text).toContain('<time datetime="2026-07-01T08:30:00.000Z">1 Jul 2026, 09:30</time>');
  });

  it('says in words when nothing matches', async () => {
    const res = await page({ view: 'waiting', ...day('1999-01-01') });
    expect(res.text).toContain('No inquiries match. <a href="/admin/inbox?view=waiting">Clear the filters</a> or choose another view.');
    expect(res.text).not.toContain('<table');
    expect(res.text).toContain('Waiting, filtered – 0 inquiries, newest first');
    expect(res.text).not.toContain('pagination__next');
  });

  it('applies every filter of §5, combined with the view', async () => {
    const d = '2019-03-01';
    const target = await onDay(d, {
      status: 'open', topic: 'prevention', priority: 'high', assigneeId: colleague.id, expectedResponseBy: ukDay(-5),
      subject: 'Tobacco duty and vaping', email: 'priya.shah@example.org',
    }, '10:00:00Z');
    await onDay(d, { status: 'new', topic: 'prevention', priority: 'high', assigneeId: colleague.id, expectedResponseBy: ukDay(-5) });
    await onDay(d, { status: 'open', topic: 'data', priority: 'high', assigneeId: colleague.id, expectedResponseBy: ukDay(-5) });
    await onDay(d, { status: 'open', topic: 'prevention', priority: 'low', assigneeId: colleague.id, expectedResponseBy: ukDay(-5) });
    await onDay(d, { status: 'open', topic: 'prevention', priority: 'high', assigneeId: officer.id, expectedResponseBy: ukDay(-5) });
    await onDay(d, { status: 'open', topic: 'prevention', priority: 'high', assigneeId: colleague.id });
    const earlier = await onDay('2019-02-28', { status: 'open', topic: 'prevention', priority: 'high', assigneeId: colleague.id, expectedResponseBy: ukDay(-5) });

    const all = { status: 'open', topic: 'prevention', priority: 'high', assignee: colleague.id, overdue: 'true', ...day(d) };
    expect(listed((await page(all)).text)).toEqual(refs(target));
    expect(listed((await page({ ...all, createdFrom: '2019-02-28' })).text)).toEqual(refs(target, earlier));
    // q: words, an exact reference, an exact email address.
    expect(listed((await page({ ...day(d), q: 'vaping' })).text)).toEqual(refs(target));
    expect(listed((await page({ q: target.reference.toLowerCase() })).text)).toEqual(refs(target));
    expect(listed((await page({ q: 'PRIYA.SHAH@example.org' })).text)).toEqual(refs(target));
    // The view narrows the filters: open inquiries are not in Waiting, nor a colleague's in Mine.
    expect(listed((await page({ ...all, view: 'waiting' })).text)).toEqual([]);
    expect(listed((await page({ ...all, view: 'mine' })).text)).toEqual([]);
    expect(listed((await page({ ...all, view: 'overdue' })).text)).toEqual(refs(target));
    // A form's blank choices ("Any status", an empty date) are no filter at all.
    const blanks = await page({ view: 'open', q: '', status: '', topic: 'prevention', assignee: '', priority: 'high', createdFrom: d, createdTo: d, sort: 'newest' });
    expect(listed(blanks.text)).toHaveLength(4);

    // The form shows the filters it applied.
    const shown = (await page(all)).text;
    expect(shown).toContain('<option value="open" selected>Open</option>');
    expect(shown).toContain('<option value="prevention" selected>Prevention: tobacco, alcohol and obesity</option>');
    expect(shown).toContain(`<option value="${colleague.id}" selected>Colin Colleague</option>`);
    expect(shown).toMatch(/id="overdue" name="overdue" value="true" checked/);
    expect(shown).toContain(`type="date" value="${d}" id="createdFrom"`);
  });

  it('offers labelled search and filter forms that keep each other\'s choices', async () => {
    const res = await page({ view: 'unassigned', q: 'screening', priority: 'urgent', sort: 'oldest' });
    const search = /<form method="get" action="\/admin\/inbox" class="inbox-search"[\s\S]*?<\/form>/.exec(res.text)![0];
    expect(search).toContain('<label class="label" for="q">Search</label>');
    expect(search).toContain('<div id="q-hint" class="hint">Reference, email address or words</div>');
    expect(search).toContain('type="search" value="screening" id="q" name="q"');
    expect(search).toContain('<input type="hidden" name="view" value="unassigned">');
    expect(search).toContain('<input type="hidden" name="priority" value="urgent">');
    expect(search).toContain('<input type="hidden" name="sort" value="oldest">');
    expect(search).toContain('<button type="submit" class="button">Search</button>');
    const filters = /<form method="get" action="\/admin\/inbox" class="inbox-filters"[\s\S]*?<\/form>/.exec(res.text)![0];
    expect(filters).toContain('<input type="hidden" name="view" value="unassigned">');
    expect(filters).toContain('<input type="hidden" name="q" value="screening">');
    for (const label of ['Status', 'Topic', 'Assigned to', 'Priority', 'Received from', 'Received to', 'Order', 'Only overdue']) {
      expect(filters).toMatch(new RegExp(`<label class="label[^"]*" for="\\w+">${label}</label>`));
    }
    expect(filters).toContain('<option value="" selected>Anyone</option><option value="me">Me</option><option value="none">Unassigned</option>');
    expect(filters).toContain('<option value="newest">Newest first</option><option value="oldest" selected>Oldest first</option>');
    expect(filters).toContain('type="date" value="" id="createdTo"');
    expect(filters).toContain('Apply filters</button>');
    expect(filters).toContain('<a href="/admin/inbox?view=unassigned&amp;sort=oldest">Clear filters</a>');
    // Inactive staff are not offered, active ones are.
    expect(filters).toContain('>Olivia Officer</option>');
  });

  describe('Next page', () => {
    const d = '2019-04-01';
    let made: Seeded[];
    beforeAll(async () => {
      made = [];
      // Several share one timestamp to the microsecond, so the id must break ties.
      for (let i = 0; i < 32; i++) {
        const at = `${d}T10:00:${String(Math.floor(i / 4)).padStart(2, '0')}.${String(123456 + (i % 2)).padStart(6, '0')}Z`;
        made.push(await insertInquiry(t, { createdAt: at, topic: 'data', subject: 'Cancer registry data request' }));
      }
      await onDay(d, { topic: 'workforce', subject: 'Cancer registry data request' }); // filtered out by topic
    });

    async function walk(query: Record<string, string>): Promise<{ seen: string[]; hrefs: string[] }> {
      const seen: string[] = [];
      const hrefs: string[] = [];
      let res = await page(query);
      for (let pages = 0; pages < 10; pages++) {
        seen.push(...listed(res.text));
        const href = nextHref(res.text);
        if (!href) break;
        hrefs.push(href);
        res = await agent.get(href).expect(200);
      }
      return { seen, hrefs };
    }

    it('pages newest first, 25 a page, keeping every filter and the search, with no repeats and no gaps', async () => {
      const query = { view: 'unassigned', q: 'registry', topic: 'data', priority: 'normal', ...day(d) };
      const first = await page(query);
      expect(listed(first.text)).toHaveLength(25);
      expect(caption(first.text)).toBe('Unassigned, filtered – 32 inquiries, newest first');
      const { seen, hrefs } = await walk(query);
      expect(hrefs).toHaveLength(1);
      const next = new URL(hrefs[0], 'http://x').searchParams;
      expect(Object.fromEntries([...next].filter(([k]) => k !== 'cursor'))).toEqual(query);
      expect(next.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(seen).toHaveLength(32);
      expect(new Set(seen).size).toBe(32);
      expect(sorted(seen)).toEqual(sorted(refs(...made)));
    });

    it('pages oldest first the same way, in the opposite order', async () => {
      const query = { topic: 'data', sort: 'oldest', ...day(d) };
      const newest = await walk({ topic: 'data', ...day(d) });
      const oldest = await walk(query);
      expect(new URL(oldest.hrefs[0], 'http://x').searchParams.get('sort')).toBe('oldest');
      expect(oldest.seen).toHaveLength(32);
      expect(new Set(oldest.seen).size).toBe(32);
      expect(oldest.seen).toEqual([...newest.seen].reverse());
      expect(caption((await page(query)).text)).toBe('All open, filtered – 32 inquiries, oldest first');
    });

    it('refuses a cursor made for the other order (it would page backwards)', async () => {
      const { hrefs } = await walk({ topic: 'data', sort: 'oldest', ...day(d) });
      const cursor = new URL(hrefs[0], 'http://x').searchParams.get('cursor')!;
      const res = await page({ topic: 'data', ...day(d), cursor }, 400);
      expect(res.text).toContain('There is a problem');
    });

    it('takes limit like the API and keeps it in the link', async () => {
      const res = await page({ topic: 'data', ...day(d), limit: '10' });
      expect(listed(res.text)).toHaveLength(10);
      expect(nextHref(res.text)).toContain('limit=10');
    });
  });

  describe('bad parameters', () => {
    const bad: [string, Record<string, string>, string][] = [
      ['a malformed date', { createdFrom: '2026-13-45' }, 'Received from must be a real date'],
      ['a date that is not one', { createdTo: 'yesterday' }, 'Received to must be a real date'],
      ['a bad cursor', { cursor: 'bm90LWEtY3Vyc29y' }, 'The link to this page of the list is not right'],
      ['a cursor of bad characters', { cursor: '<script>' }, 'The link to this page of the list is not right'],
      ['an unknown view', { view: 'everything' }, 'Choose one of the inbox views'],
      ['an unknown status', { status: 'closed' }, 'Choose a status from the list'],
      ['an unknown sort', { sort: 'sideways' }, 'Choose newest first or oldest first'],
      ['a bad assignee', { assignee: 'somebody' }, 'Choose who the inquiries are assigned to from the list'],
      ['a too long search', { q: 'x'.repeat(1001) }, 'Search must be 1000 characters or fewer'],
      ['a bad limit', { limit: '1000' }, 'The number of inquiries on a page must be a whole number from 1 to 100'],
    ];
    it.each(bad)('%s: 400, the error summary, no list', async (_what, query, message) => {
      const res = await page(query, 400);
      expect(res.text).toContain('<h2 class="error-summary__title" id="error-summary-title">There is a problem</h2>');
      expect(res.text).toContain(message);
      expect(res.text).toMatch(/<title>Error: [^<]*Inbox – Policy Inbox<\/title>/);
      expect(res.text).not.toContain('<table');
      expect(res.text).not.toContain('No inquiries match');
      expect(res.text).not.toContain('Download CSV');
      // The views are still there to go somewhere else.
      expect(res.text).toContain('aria-label="Inbox views"');
    });

    it('links the summary to the field, marks the field and shows what was typed', async () => {
      const res = await page({ view: 'mine', createdFrom: '2026-13-45', status: 'open' }, 400);
      expect(res.text).toContain('<a href="#createdFrom">Received from must be a real date</a>');
      expect(res.text).toContain('<p id="createdFrom-error" class="error-message"><span class="visually-hidden">Error:</span> Received from must be a real date</p>');
      expect(res.text).toContain('value="2026-13-45" id="createdFrom" name="createdFrom" aria-describedby="createdFrom-error" aria-invalid="true"');
      expect(res.text).toContain('<option value="open" selected>Open</option>');
      expect(currentView(res.text)).toBe('Mine');
    });

    it('lists every bad parameter at once, and a repeated one is a bad one (never a 500)', async () => {
      const res = await agent.get('/admin/inbox?status=new&status=open&priority=nope&overdue=yes').expect(400);
      expect(res.text).toContain('<a href="#status">Choose a status from the list</a>');
      expect(res.text).toContain('<a href="#priority">Choose a priority from the list</a>');
      expect(res.text).toContain('<a href="#overdue">Only overdue must be ticked or left empty</a>');
    });

    it('ignores parameters it does not know', async () => {
      await page({ utm_source: 'email', view: 'open' }, 200);
    });
  });

  describe('Download CSV', () => {
    it('links the same list, and downloads it as an attachment, filtered by the view', async () => {
      const d = '2019-05-01';
      const mine = await onDay(d, { status: 'open', assigneeId: officer.id, subject: 'Mine to export' }, '10:00:00Z');
      const mineToo = await onDay(d, { status: 'waiting', assigneeId: officer.id }, '11:00:00Z');
      await onDay(d, { status: 'resolved', assigneeId: officer.id });
      await onDay(d, { status: 'open', assigneeId: colleague.id });
      const res = await page({ view: 'mine', ...day(d), sort: 'oldest' });
      const href = /<a href="([^"]+)" class="inbox-csv">Download CSV<\/a>/.exec(res.text)![1].replace(/&amp;/g, '&');
      expect(href).toBe(`/admin/inbox/export.csv?view=mine&createdFrom=${d}&createdTo=${d}&sort=oldest`);
      const csv = await agent.get(href).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="inquiries-\d{4}-\d{2}-\d{2}\.csv"$/);
      expect(csv.headers['cache-control']).toBe('no-store');
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toMatch(/^reference,createdAt,status,/);
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(refs(mine, mineToo));
    });

    it('answers bad filters with the inbox page and its error summary', async () => {
      const res = await agent.get('/admin/inbox/export.csv').query({ createdTo: '2026-02-30' }).expect(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('There is a problem');
      expect(res.text).toContain('Received to must be a real date');
    });
  });

  it('escapes everything a person typed', async () => {
    const d = '2019-06-01';
    await onDay(d, {
      subject: '<script>alert("subject")</script>', name: '<img src=x onerror=alert(1)>', organisation: '<b>Org</b> & "Co"',
    });
    const res = await page(day(d));
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).not.toContain('<b>Org</b>');
    expect(res.text).toContain('&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt;');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.text).toContain('&lt;b&gt;Org&lt;/b&gt; &amp; &quot;Co&quot;');
    // What is typed into the search comes back escaped in the box, the hidden fields and the links.
    const typed = '"><script>alert("q")</script>';
    const searched = await page({ q: typed, ...day(d) });
    expect(searched.text).not.toContain('<script>alert');
    expect(searched.text).toContain('value="&quot;&gt;&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt;"');
    const bad = await page({ q: typed, createdFrom: '"><script>alert(1)</script>' }, 400);
    expect(bad.text).not.toContain('<script>alert');
  });

  it('sends a visit without a session to sign-in, and back to the same list after it', async () => {
    const res = await request(t.http).get('/admin/inbox?view=mine&q=screening').expect(303);
    expect(res.headers.location).toBe(`/admin/login?next=${encodeURIComponent('/admin/inbox?view=mine&q=screening')}`);
    const csv = await request(t.http).get('/admin/inbox/export.csv?view=mine').expect(303);
    expect(csv.headers.location).toBe(`/admin/login?next=${encodeURIComponent('/admin/inbox/export.csv?view=mine')}`);
    expect((await request(t.http).get('/admin/inbox').expect(303)).headers.location).toBe('/admin/login');
  });
});
