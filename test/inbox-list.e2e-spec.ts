import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { createStaff, TestStaff } from './support/staff.js';
import { insertInquiry, InquiryFields, Seeded, ukDay } from './inbox-fixtures.js';

describe('GET /api/admin/inquiries (the inbox list)', () => {
  let t: TestApp;
  let officer: TestStaff;
  let colleague: TestStaff;

  beforeAll(async () => {
    t = await createTestApp();
    officer = await createStaff(t, 'officer', { name: 'Olivia Officer' });
    colleague = await createStaff(t, 'officer', { name: 'Colin Colleague' });
  });
  afterAll(async () => t.close());

  const list = (query: Record<string, string | number>, as: TestStaff = officer) =>
    request(t.http).get('/api/admin/inquiries').query(query).set('Authorization', as.auth);

  /** Each test works in its own day, so the others' inquiries never get in its way. */
  const onDay = (day: string, fields: InquiryFields = {}, time = '12:00:00Z') => insertInquiry(t, { createdAt: `${day}T${time}`, ...fields });
  const ids = (body: { items: { id: string }[] }) => body.items.map((i) => i.id).sort();
  const only = (...seeded: Seeded[]) => seeded.map((s) => s.id).sort();

  it('needs a token', async () => {
    await request(t.http).get('/api/admin/inquiries').expect(401);
  });

  it('lists newest first with the documented fields and no message body', async () => {
    const day = '2020-01-01';
    const older = await onDay(day, { organisation: 'NHS Trust', tags: ['press'] }, '09:00:00Z');
    const newer = await onDay(day, { assigneeId: officer.id }, '10:00:00Z');
    const res = await list({ createdFrom: day, createdTo: day }).expect(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([newer.id, older.id]);
    expect(res.body.items[0]).toEqual({
      id: newer.id,
      reference: newer.reference,
      name: 'Sam Taylor',
      email: newer.email,
      organisation: null,
      enquirerType: 'public',
      topic: 'waiting-times',
      subject: 'A question about cancer services',
      status: 'new',
      priority: 'normal',
      assignee: { id: officer.id, name: 'Olivia Officer' },
      tags: [],
      expectedResponseBy: '2999-01-01',
      overdue: false,
      createdAt: '2020-01-01T10:00:00.000Z',
      updatedAt: '2020-01-01T10:00:00.000Z',
    });
    expect(res.body.items[1]).toMatchObject({ organisation: 'NHS Trust', tags: ['press'], assignee: null });
    expect(res.body.items[0]).not.toHaveProperty('message');
  });

  it('filters by status', async () => {
    const day = '2020-01-02';
    const open = await onDay(day, { status: 'open' });
    await onDay(day, { status: 'new' });
    await onDay(day, { status: 'resolved' });
    expect(ids((await list({ createdFrom: day, createdTo: day, status: 'open' }).expect(200)).body)).toEqual(only(open));
  });

  it('filters by topic', async () => {
    const day = '2020-01-03';
    const workforce = await onDay(day, { topic: 'workforce' });
    await onDay(day, { topic: 'prevention' });
    expect(ids((await list({ createdFrom: day, createdTo: day, topic: 'workforce' }).expect(200)).body)).toEqual(only(workforce));
  });

  it('filters by priority', async () => {
    const day = '2020-01-04';
    const urgent = await onDay(day, { priority: 'urgent' });
    await onDay(day, { priority: 'low' });
    expect(ids((await list({ createdFrom: day, createdTo: day, priority: 'urgent' }).expect(200)).body)).toEqual(only(urgent));
  });

  it('filters by assignee: me, none, or a staff id', async () => {
    const day = '2020-01-05';
    const mine = await onDay(day, { assigneeId: officer.id });
    const theirs = await onDay(day, { assigneeId: colleague.id });
    const nobodys = await onDay(day);
    const window = { createdFrom: day, createdTo: day };
    expect(ids((await list({ ...window, assignee: 'me' }).expect(200)).body)).toEqual(only(mine));
    expect(ids((await list({ ...window, assignee: 'me' }, colleague).expect(200)).body)).toEqual(only(theirs));
    expect(ids((await list({ ...window, assignee: 'none' }).expect(200)).body)).toEqual(only(nobodys));
    expect(ids((await list({ ...window, assignee: colleague.id }).expect(200)).body)).toEqual(only(theirs));
  });

  it('filters overdue: past the expected reply date (UK) and not resolved or spam', async () => {
    const day = '2020-01-06';
    const late = await onDay(day, { status: 'open', expectedResponseBy: ukDay(-2) });
    await onDay(day, { status: 'open', expectedResponseBy: ukDay(0) }); // due today: not overdue yet
    await onDay(day, { status: 'resolved', expectedResponseBy: ukDay(-2) });
    await onDay(day, { status: 'spam', expectedResponseBy: ukDay(-2) });
    const res = await list({ createdFrom: day, createdTo: day, overdue: 'true' }).expect(200);
    expect(ids(res.body)).toEqual(only(late));
    expect(res.body.items[0].overdue).toBe(true);
  });

  it('filters by creation date; a date-only createdTo includes that whole UK day', async () => {
    // 22:30 UTC on 15 June is 23:30 in London (BST): still the 15th. 23:30 UTC is already the 16th there.
    const lateOn15th = await insertInquiry(t, { createdAt: '2020-06-15T22:30:00Z' });
    const on16th = await insertInquiry(t, { createdAt: '2020-06-15T23:30:00Z' });
    const on14th = await insertInquiry(t, { createdAt: '2020-06-14T12:00:00Z' });
    expect(ids((await list({ createdFrom: '2020-06-15', createdTo: '2020-06-15' }).expect(200)).body)).toEqual(only(lateOn15th));
    expect(ids((await list({ createdFrom: '2020-06-14', createdTo: '2020-06-16' }).expect(200)).body)).toEqual(only(lateOn15th, on16th, on14th));
    expect(ids((await list({ createdFrom: '2020-06-15T22:00:00Z', createdTo: '2020-06-15T23:00:00Z' }).expect(200)).body))
      .toEqual(only(lateOn15th));
    // A date-time without an offset is UK time.
    expect(ids((await list({ createdFrom: '2020-06-15T23:00:00', createdTo: '2020-06-16T01:00' }).expect(200)).body))
      .toEqual(only(lateOn15th, on16th));
  });

  it('combines filters', async () => {
    const day = '2020-01-07';
    const match = await onDay(day, { status: 'open', topic: 'data', priority: 'high', assigneeId: officer.id });
    await onDay(day, { status: 'open', topic: 'data', priority: 'high' });
    await onDay(day, { status: 'open', topic: 'data', priority: 'low', assigneeId: officer.id });
    await onDay(day, { status: 'new', topic: 'data', priority: 'high', assigneeId: officer.id });
    const res = await list({ createdFrom: day, createdTo: day, status: 'open', topic: 'data', priority: 'high', assignee: 'me' }).expect(200);
    expect(ids(res.body)).toEqual(only(match));
  });

  describe('full text (q)', () => {
    it('finds a word from a message submitted through the API', async () => {
      const { body } = await request(t.http).post('/api/inquiries').send(validInquiry({
        message: 'We would like to understand the radiotherapy capacity in Cumbria and the north-west.',
      })).expect(201);
      const res = await list({ q: 'radiotherapy' }).expect(200);
      expect(res.body.items.map((i: { id: string }) => i.id)).toContain(body.id);
      const both = await list({ q: 'radiotherapy Cumbria' }).expect(200);
      expect(both.body.items.map((i: { id: string }) => i.id)).toContain(body.id);
      const none = await list({ q: 'radiotherapy -Cumbria' }).expect(200);
      expect(none.body.items.map((i: { id: string }) => i.id)).not.toContain(body.id);
    });

    it('finds words in the subject and the name', async () => {
      const day = '2020-01-08';
      const bySubject = await onDay(day, { subject: 'Lymphoedema clinics' });
      const byName = await onDay(day, { name: 'Bartholomew Quince' });
      await onDay(day);
      const window = { createdFrom: day, createdTo: day };
      expect(ids((await list({ ...window, q: 'lymphoedema' }).expect(200)).body)).toEqual(only(bySubject));
      expect(ids((await list({ ...window, q: 'Quince' }).expect(200)).body)).toEqual(only(byName));
    });

    it('matches an exact reference, in any case', async () => {
      const target = await onDay('2020-01-09');
      for (const q of [target.reference, target.reference.toLowerCase()]) {
        expect(ids((await list({ q }).expect(200)).body)).toEqual(only(target));
      }
    });

    it('matches an exact email address, in any case', async () => {
      const target = await onDay('2020-01-10', { email: 'Mixed.Case+tag@Example.org' });
      await onDay('2020-01-10', { email: 'someone.else@example.org' });
      expect(ids((await list({ q: 'mixed.case+tag@example.org' }).expect(200)).body)).toEqual(only(target));
    });

    const oddStrings = [
      '"', "'", '""', "O'Brien", '"unterminated', 'a & b', '&|!', '!!!', '|', 'a | | b', '(', ')', '((a)', 'a:*', ':*', '*',
      'pre:* & !x', '\\', '\\\\', 'back\\slash', '%', '_', '%_%', '--', '-', 'or', 'OR OR', '-a -b', "'; DROP TABLE inquiries; --",
      '<>', '<->', 'a <-> b', '@@', '@', 'a@', '@b', 'POL-', 'pol-zzzzzz', '名前', 'Zoë Ünïcödé', '🙂', '\u200b', 'ﬁ', '𝔘𝔫𝔦',
      '\t tab', 'line\nbreak', ' ', '   spaced   ', 'x'.repeat(1000), 'word '.repeat(200), '\u0301', 'null', 'undefined',
    ];
    it.each(oddStrings.map((s) => [JSON.stringify(s).slice(0, 40), s]))('never fails on %s', async (_label, q) => {
      const res = await list({ q });
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body.items)).toBe(true);
    });

    it('treats a blank q as no search', async () => {
      const all = await list({ limit: 5 }).expect(200);
      for (const q of ['', '   ']) expect((await list({ q, limit: 5 }).expect(200)).body).toEqual(all.body);
    });

    it('refuses a query of over 1000 characters or with control characters, with 400', async () => {
      await list({ q: 'x'.repeat(1001) }).expect(400);
      const res = await list({ q: 'nul\u0000byte' }).expect(400);
      expect(res.body.errors).toEqual([{ field: 'q', message: expect.any(String) }]);
    });
  });

  describe('validation', () => {
    it.each([['0'], ['101'], ['x'], ['1.5'], ['-1'], ['']])('refuses limit=%s with 400', async (limit) => {
      const res = await list({ limit }).expect(400);
      expect(res.body.errors).toEqual([{ field: 'limit', message: expect.any(String) }]);
    });

    it('accepts limit 1 and 100', async () => {
      await list({ limit: 1 }).expect(200);
      await list({ limit: 100 }).expect(200);
    });

    it.each([
      ['garbage', 'not-a-cursor!'],
      ['base64 of nonsense', Buffer.from('hello').toString('base64url')],
      ['a JSON object', Buffer.from('{"at":1}').toString('base64url')],
      ['a bad id', Buffer.from('["2020-01-01T00:00:00.000000","nope"]').toString('base64url')],
      ['a bad time', Buffer.from('["2020-13-45T99:00:00.000000","0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10"]').toString('base64url')],
      ['30 February', Buffer.from('["2020-02-30T10:00:00.000000","0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10"]').toString('base64url')],
    ])('refuses a bad cursor (%s) with 400', async (_label, cursor) => {
      const res = await list({ cursor }).expect(400);
      expect(res.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    });

    it('lists every bad parameter at once', async () => {
      const res = await list({
        status: 'closed', topic: 'Not A Key', assignee: 'someone', priority: 'meh', overdue: 'yes',
        createdFrom: '2020-02-30', createdTo: 'yesterday', limit: 'x',
      }).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
        ['assignee', 'createdFrom', 'createdTo', 'limit', 'overdue', 'priority', 'status', 'topic'],
      );
    });

    it('refuses unknown and repeated parameters', async () => {
      await list({ sort: 'name' }).expect(400);
      await request(t.http).get('/api/admin/inquiries?status=new&status=open').set('Authorization', officer.auth).expect(400);
    });
  });

  it('pages through 30+ inquiries, each exactly once, while new ones arrive between pages', async () => {
    // Several share one timestamp to the microsecond, so the id must break ties.
    const existing: string[] = [];
    for (let i = 0; i < 33; i++) {
      const at = `2021-03-01T10:00:${String(Math.floor(i / 4)).padStart(2, '0')}.${String(123456 + (i % 2)).padStart(6, '0')}Z`;
      existing.push((await insertInquiry(t, { createdAt: at })).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await list(cursor ? { limit: 7, cursor } : { limit: 7 }).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(7);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      // New inquiries arrive while someone reads the inbox: through the API and straight into the table.
      await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201);
      await insertInquiry(t);
      pages++;
    } while (cursor && pages < 200);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen.filter((s) => s === id)).toHaveLength(1);
  });

  it('pages inside a filter with a cursor, and answers nextCursor null on the last page', async () => {
    const day = '2020-01-11';
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await onDay(day, { status: 'waiting' }, `10:00:0${i}Z`));
    const first = await list({ createdFrom: day, createdTo: day, status: 'waiting', limit: 3 }).expect(200);
    expect(first.body.items).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list({ createdFrom: day, createdTo: day, status: 'waiting', limit: 3, cursor: first.body.nextCursor }).expect(200);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.items, ...second.body.items].map((i: { id: string }) => i.id)).toEqual(made.map((m) => m.id).reverse());
  });

  describe('GET /api/admin/inquiries/export.csv', () => {
    it('streams the filtered inquiries as CSV without message bodies, defusing formulas', async () => {
      const day = '2020-01-12';
      const evil = await onDay(day, { name: '=HYPERLINK("http://evil.example","click")', subject: '+SUM(A1:A2)', tags: ['@risk'], status: 'open' });
      const plain = await onDay(day, { name: 'Plain Name', subject: '-minus first', status: 'open', message: 'SECRET-BODY-TEXT in the message' });
      await onDay(day, { status: 'spam' });
      const res = await request(t.http).get('/api/admin/inquiries/export.csv')
        .query({ createdFrom: day, createdTo: day, status: 'open' }).set('Authorization', officer.auth).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/attachment; filename="inquiries-\d{4}-\d{2}-\d{2}\.csv"/);
      const lines = res.text.trim().split('\n');
      expect(lines[0]).toBe('reference,createdAt,status,priority,topic,enquirerType,name,email,organisation,subject,assignee,tags,expectedResponseBy,overdue,firstResponseAt,resolvedAt,updatedAt,id');
      expect(lines).toHaveLength(3);
      expect(res.text).not.toContain('SECRET-BODY-TEXT');
      expect(res.text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
      expect(res.text).toContain("'+SUM(A1:A2)");
      expect(res.text).toContain("'@risk");
      expect(res.text).toContain("'-minus first");
      expect(res.text).toContain(evil.reference);
      expect(res.text).toContain(plain.reference);
    });

    it('exports more rows than one batch, each once', async () => {
      await t.db.query(`
        INSERT INTO inquiries (id, reference, name, email, enquirer_type, topic_key, subject, message, consent, expected_response_by, created_at)
        SELECT gen_random_uuid(), 'POL-X' || lpad(to_hex(g), 5, '0'), 'Bulk', 'bulk' || g || '@example.org', 'public', 'data',
               'Bulk subject', 'Bulk message text', true, DATE '2999-01-01', TIMESTAMPTZ '2019-05-01T00:00:00Z' + g * interval '1 second'
        FROM generate_series(1, 1234) g`);
      const res = await request(t.http).get('/api/admin/inquiries/export.csv')
        .query({ createdFrom: '2019-05-01', createdTo: '2019-05-01' }).set('Authorization', officer.auth).expect(200);
      const lines = res.text.trim().split('\n').slice(1);
      expect(lines).toHaveLength(1234);
      expect(new Set(lines.map((l) => l.split(',')[0])).size).toBe(1234);
    });

    it('validates the filters', async () => {
      await request(t.http).get('/api/admin/inquiries/export.csv').query({ status: 'nope' }).set('Authorization', officer.auth).expect(400);
      await request(t.http).get('/api/admin/inquiries/export.csv').expect(401);
    });
  });

  it('GET /api/admin/stats counts by status and topic, overdue, and the median first response', async () => {
    const res = await request(t.http).get('/api/admin/stats').set('Authorization', officer.auth).expect(200);
    expect(Object.keys(res.body.byStatus).sort()).toEqual(['new', 'open', 'resolved', 'spam', 'waiting']);
    expect(res.body.byTopic).toHaveProperty('waiting-times');
    const [counts] = await t.db.query(`
      SELECT count(*) FILTER (WHERE status = 'open')::int AS open,
             count(*) FILTER (WHERE status NOT IN ('resolved','spam') AND expected_response_by < (now() AT TIME ZONE 'Europe/London')::date)::int AS overdue
      FROM inquiries`);
    expect(res.body.byStatus.open).toBe(counts.open);
    expect(res.body.overdue).toBe(counts.overdue);

    await insertInquiry(t, { createdAt: '2020-01-13T10:00:00Z', firstResponseAt: '2020-01-13T12:00:00Z' });
    await insertInquiry(t, { createdAt: '2020-01-13T10:00:00Z', firstResponseAt: '2020-01-13T14:00:00Z' });
    await insertInquiry(t, { createdAt: '2020-01-13T10:00:00Z', firstResponseAt: '2020-01-13T16:00:00Z' });
    const after = await request(t.http).get('/api/admin/stats').set('Authorization', officer.auth).expect(200);
    expect(after.body.medianFirstResponseHours).toBe(4);
  });
});
