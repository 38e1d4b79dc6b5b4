import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';

describe('POST /api/inquiries', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const post = (body: unknown, headers: Record<string, string> = {}) => {
    const req = request(t.http).post('/api/inquiries').set('Content-Type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    return req.send(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const count = async (table = 'inquiries') => Number((await t.db.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

  it('stores a valid inquiry and answers with a reference and the expected reply date', async () => {
    const res = await post(validInquiry()).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      reference: expect.stringMatching(/^POL-[0-9A-HJKMNP-TV-Z]{6}$/),
      status: 'received',
      expectedResponseBy: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      createdAt: expect.any(String),
    });
    const [row] = await t.db.query('SELECT status, reference FROM inquiries WHERE id = $1', [res.body.id]);
    expect(row).toEqual({ status: 'new', reference: res.body.reference });
    const emails = await t.db.query('SELECT kind FROM outbound_emails WHERE inquiry_id = $1 ORDER BY kind', [res.body.id]);
    expect(emails.map((e: { kind: string }) => e.kind)).toEqual(['acknowledgement', 'routing']);
  });

  const badInputs: [string, Record<string, unknown>, string][] = [
    ['missing name', { name: undefined }, 'name'],
    ['empty name', { name: '' }, 'name'],
    ['name of 201 characters', { name: 'a'.repeat(201) }, 'name'],
    ['name with LF', { name: 'Aisha\nBcc: victim@example.com' }, 'name'],
    ['name with CR', { name: 'Aisha\rKhan' }, 'name'],
    ['name with a tab', { name: 'Aisha\tKhan' }, 'name'],
    ['name with a bidi override', { name: 'Aisha\u202EnahK' }, 'name'],
    ['name with U+2066', { name: 'Aisha\u2066Khan' }, 'name'],
    ['name as a number', { name: 42 }, 'name'],
    ['missing email', { email: undefined }, 'email'],
    ['malformed email', { email: 'not-an-email' }, 'email'],
    ['email over 254', { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.org` }, 'email'],
    ['email with CRLF', { email: 'a@example.org\r\nBcc: x@example.org' }, 'email'],
    ['organisation over 200', { organisation: 'o'.repeat(201) }, 'organisation'],
    ['organisation with LF', { organisation: 'Trust\nX' }, 'organisation'],
    ['unknown enquirerType', { enquirerType: 'alien' }, 'enquirerType'],
    ['unknown topic', { topic: 'nope' }, 'topic'],
    ['topic as an object', { topic: { key: 'workforce' } }, 'topic'],
    ['empty subject', { subject: '' }, 'subject'],
    ['subject over 200', { subject: 's'.repeat(201) }, 'subject'],
    ['subject with LF', { subject: 'Hello\nX-Injected: 1' }, 'subject'],
    ['message under 10', { message: 'too short' }, 'message'],
    ['message over 5000', { message: 'm'.repeat(5001) }, 'message'],
    ['message with NUL', { message: 'Hello there\u0000 friend' }, 'message'],
    ['message with a bell', { message: 'Hello there\u0007 friend' }, 'message'],
    ['sourceUrl not http', { sourceUrl: 'javascript:alert(1)' }, 'sourceUrl'],
    ['sourceUrl over 2048', { sourceUrl: `https://example.org/${'p'.repeat(2040)}` }, 'sourceUrl'],
    ['consent false', { consent: false }, 'consent'],
    ['consent "true" as a string', { consent: 'true' }, 'consent'],
    ['missing consent', { consent: undefined }, 'consent'],
    ['an unknown field', { isAdmin: true }, 'isAdmin'],
    ['a status smuggled in', { status: 'resolved' }, 'status'],
  ];

  it.each(badInputs)('refuses %s with 400 naming the field', async (_label, change, field) => {
    const before = await count();
    const body = { ...validInquiry(), ...change };
    const res = await post(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, message: expect.any(String) });
    expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    expect(await count()).toBe(before);
  });

  it('names all three fields of a body with three bad fields', async () => {
    const res = await post(validInquiry({ name: '', email: 'nope', message: 'short' })).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'message', 'name']);
  });

  it('round-trips Unicode names exactly', async () => {
    for (const name of ['Zoë Ó Súilleabháin-Müller', '山田 太郎', 'Ayesha 🌷✨', 'Пётр Иванов']) {
      const res = await post(validInquiry({ name })).expect(201);
      const [row] = await t.db.query('SELECT name FROM inquiries WHERE id = $1', [res.body.id]);
      expect(row.name).toBe(name);
    }
  });

  it('counts lengths in code points: 200 emoji make a valid name', async () => {
    await post(validInquiry({ name: '😀'.repeat(200) })).expect(201);
    await post(validInquiry({ name: '😀'.repeat(201) })).expect(400);
  });

  it('accepts a 5000-character message and refuses 5001', async () => {
    await post(validInquiry({ message: 'm'.repeat(5000) })).expect(201);
    const res = await post(validInquiry({ message: 'm'.repeat(5001) })).expect(400);
    expect(res.body.errors[0].field).toBe('message');
  });

  it('keeps tabs and line breaks in a message', async () => {
    const message = 'Line one\r\nLine two\n\tIndented line three';
    const res = await post(validInquiry({ message })).expect(201);
    const [row] = await t.db.query('SELECT message FROM inquiries WHERE id = $1', [res.body.id]);
    expect(row.message).toBe(message);
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const res = await post(validInquiry({ message: 'm'.repeat(70 * 1024) })).expect(413);
    expect(res.body).toEqual({ statusCode: 413, message: expect.any(String) });
  });

  it('refuses a content type other than JSON with 415', async () => {
    const res = await request(t.http).post('/api/inquiries').set('Content-Type', 'text/plain').send('hello').expect(415);
    expect(res.body.statusCode).toBe(415);
    await request(t.http).post('/api/inquiries').type('form').send('name=x').expect(415);
  });

  it('refuses malformed JSON and non-object bodies with 400', async () => {
    for (const body of ['{bad', '[1,2]', '"text"', '42', 'null', '']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
    }
  });

  it('marks a filled honeypot as spam, answers as usual and sends nothing', async () => {
    const res = await post(validInquiry({ website: 'http://spam.example' })).expect(201);
    expect(res.body.status).toBe('received');
    const [row] = await t.db.query('SELECT status, spam_reason FROM inquiries WHERE id = $1', [res.body.id]);
    expect(row).toEqual({ status: 'spam', spam_reason: 'honeypot' });
    expect(await t.db.query('SELECT 1 FROM outbound_emails WHERE inquiry_id = $1', [res.body.id])).toHaveLength(0);
  });

  it('marks known-bad content as spam', async () => {
    const res = await post(validInquiry({ message: 'Cheap viagra and casino bonuses for your patients today' })).expect(201);
    const [row] = await t.db.query('SELECT status FROM inquiries WHERE id = $1', [res.body.id]);
    expect(row.status).toBe('spam');
  });

  it('computes the expected reply date in working days', async () => {
    const res = await post(validInquiry()).expect(201);
    const due = new Date(`${res.body.expectedResponseBy}T12:00:00Z`);
    expect([0, 6]).not.toContain(due.getUTCDay());
    expect(due.getTime()).toBeGreaterThan(Date.now() + 9 * 86_400_000);
  });

  describe('idempotency', () => {
    it('replays the same answer for the same key and body, storing one row', async () => {
      const body = validInquiry();
      const first = await post(body, { 'Idempotency-Key': 'key-replay-1' }).expect(201);
      const again = await post(body, { 'Idempotency-Key': 'key-replay-1' }).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body).toEqual(first.body);
      const rows = await t.db.query('SELECT count(*)::int AS n FROM inquiries WHERE email = $1', [body.email]);
      expect(rows[0].n).toBe(1);
    });

    it('answers 422 for the same key with another body', async () => {
      await post(validInquiry(), { 'Idempotency-Key': 'key-conflict-1' }).expect(201);
      const res = await post(validInquiry(), { 'Idempotency-Key': 'key-conflict-1' }).expect(422);
      expect(res.body).toEqual({ statusCode: 422, message: expect.any(String) });
    });

    it('stores one row for two concurrent requests with the same key', async () => {
      const body = validInquiry();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => post(body, { 'Idempotency-Key': 'key-concurrent-1' })),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const rows = await t.db.query('SELECT count(*)::int AS n FROM inquiries WHERE email = $1', [body.email]);
      expect(rows[0].n).toBe(1);
      const emails = await t.db.query(
        'SELECT count(*)::int AS n FROM outbound_emails e JOIN inquiries i ON i.id = e.inquiry_id WHERE i.email = $1', [body.email]);
      expect(emails[0].n).toBe(2);
    });

    it('refuses an unreadable key with 400', async () => {
      const res = await post(validInquiry(), { 'Idempotency-Key': 'x'.repeat(300) }).expect(400);
      expect(res.body.errors[0].field).toBe('Idempotency-Key');
    });
  });

  it('lists active topics', async () => {
    const res = await request(t.http).get('/api/topics').expect(200);
    expect(res.body.length).toBeGreaterThanOrEqual(7);
    expect(res.body[0]).toEqual({ key: expect.any(String), label: expect.any(String), description: expect.any(String) });
    expect(res.body.map((x: { key: string }) => x.key)).toEqual(expect.arrayContaining(['waiting-times', 'prevention', 'other']));
  });
});

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_IP_PER_HOUR: '3', RATE_LIMIT_EMAIL_PER_HOUR: '2' } });
  });
  afterAll(async () => t.close());

  const post = (body: unknown) => request(t.http).post('/api/inquiries').send(body as object);

  it('answers 429 with Retry-After once an email address has used its hourly allowance', async () => {
    const email = 'limited@example.org';
    await post(validInquiry({ email })).expect(201);
    await post(validInquiry({ email: email.toUpperCase() })).expect(201);
    const res = await post(validInquiry({ email })).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).toEqual({ statusCode: 429, message: expect.any(String) });
  });

  it('does not count invalid submissions, and limits per client address', async () => {
    for (let i = 0; i < 5; i++) await post(validInquiry({ name: '' })).expect(400);
    // The email test above used 2 of this address's 3 accepted submissions (its 429 counted nothing).
    await post(validInquiry()).expect(201);
    const res = await post(validInquiry()).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});
