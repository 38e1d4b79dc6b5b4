import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { createStaff, TestStaff } from './support/staff.js';
import { insertInquiry } from './inbox-fixtures.js';

describe('The inbox: detail, triage, notes, replies and the audit trail', () => {
  let t: TestApp;
  let officer: TestStaff;
  let lead: TestStaff;

  beforeAll(async () => {
    t = await createTestApp();
    officer = await createStaff(t, 'officer', { name: 'Olivia Officer' });
    lead = await createStaff(t, 'admin', { name: 'Lena Lead' });
  });
  afterAll(async () => t.close());

  const get = (path: string, as: TestStaff = officer) => request(t.http).get(`/api/admin/inquiries/${path}`).set('Authorization', as.auth);
  const patch = (id: string, body: unknown, as: TestStaff = officer) =>
    request(t.http).patch(`/api/admin/inquiries/${id}`).set('Authorization', as.auth).send(body as object);
  const post = (path: string, body: unknown, as: TestStaff = officer) =>
    request(t.http).post(`/api/admin/inquiries/${path}`).set('Authorization', as.auth).send(body as object);
  const submit = async (overrides: Record<string, unknown> = {}) =>
    (await request(t.http).post('/api/inquiries').send(validInquiry(overrides)).expect(201)).body as { id: string; reference: string };
  const emailsOf = async (inquiryId: string) =>
    t.db.query(`SELECT kind, recipient, subject, reply_to, in_reply_to, "references", payload, message_id
                FROM outbound_emails WHERE inquiry_id = $1 ORDER BY created_at, kind`, [inquiryId]);

  describe('GET /api/admin/inquiries/:id', () => {
    it('answers by id and by reference (any case) with the conversation, notes, emails and version', async () => {
      const { id, reference } = await submit({ message: 'Please tell me about lung cancer screening pilots.' });
      for (const key of [id, reference, reference.toLowerCase()]) {
        const res = await get(key).expect(200);
        expect(res.body).toMatchObject({
          id, reference, status: 'new', priority: 'normal', version: 1, assignee: null, overdue: false,
          message: 'Please tell me about lung cancer screening pilots.', firstResponseAt: null, resolvedAt: null,
        });
        expect(res.body.conversation).toEqual([{
          id: 'original', direction: 'inbound', body: 'Please tell me about lung cancer screening pilots.',
          staff: null, emailId: null, createdAt: res.body.createdAt,
        }]);
        expect(res.body.notes).toEqual([]);
        expect(res.body.emails.map((e: { kind: string }) => e.kind)).toEqual(['acknowledgement', 'routing']);
        expect(res.body.emails[0]).toEqual({
          id: expect.any(String), kind: 'acknowledgement', to: expect.stringContaining('@example.org'), subject: expect.stringContaining(reference),
          status: 'pending', attempts: 0, lastError: null, messageId: expect.stringMatching(/^<.+@localhost>$/), sentAt: null,
          createdAt: expect.any(String),
        });
      }
    });

    it.each([
      ['an unknown uuid', '0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10'],
      ['an unknown reference', 'POL-ZZZZZZ'],
      ['a malformed id', 'not-an-id'],
      ['a near-uuid', '0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e1'],
      ['an injection attempt', "x' OR '1'='1"],
      ['unicode', encodeURIComponent('POL-ÄÄÄÄÄÄ')],
      ['a NUL byte', '%00'],
    ])('answers 404 for %s', async (_label, key) => {
      const res = await get(key).expect(404);
      expect(res.body).toEqual({ statusCode: 404, message: expect.any(String) });
    });
  });

  describe('PATCH /api/admin/inquiries/:id', () => {
    it('changes status, priority, assignee and tags, bumps the version, and audits who changed what', async () => {
      const { id } = await submit();
      const res = await patch(id, { status: 'open', priority: 'high', assigneeId: officer.id, tags: ['press', 'nhs'], version: 1 }).expect(200);
      expect(res.body).toMatchObject({
        status: 'open', priority: 'high', assignee: { id: officer.id, name: 'Olivia Officer' }, tags: ['press', 'nhs'], version: 2,
      });
      await patch(id, { status: 'resolved', version: 2 }, lead).expect(200);

      const audit = await get(`${id}/audit`).expect(200);
      expect(audit.body).toEqual([
        {
          at: expect.any(String),
          actor: { id: officer.id, email: officer.email },
          action: 'inquiry.updated',
          changes: {
            status: { from: 'new', to: 'open' },
            priority: { from: 'normal', to: 'high' },
            assigneeId: { from: null, to: officer.id },
            tags: { from: [], to: ['press', 'nhs'] },
          },
        },
        {
          at: expect.any(String),
          actor: { id: lead.id, email: lead.email },
          action: 'inquiry.updated',
          changes: { status: { from: 'open', to: 'resolved' } },
        },
      ]);
      expect(Date.parse(audit.body[0].at)).toBeLessThanOrEqual(Date.parse(audit.body[1].at));
    });

    it('answers 409 for a stale version and changes nothing', async () => {
      const { id } = await submit();
      await patch(id, { priority: 'urgent', version: 1 }).expect(200);
      const res = await patch(id, { priority: 'low', version: 1 }, lead).expect(409);
      expect(res.body).toEqual({ statusCode: 409, message: expect.any(String) });
      const detail = await get(id).expect(200);
      expect(detail.body).toMatchObject({ priority: 'urgent', version: 2 });
      expect((await get(`${id}/audit`)).body).toHaveLength(1);
    });

    it('lets exactly one of two simultaneous changes on the same version win', async () => {
      const { id } = await submit();
      const results = await Promise.all([
        patch(id, { priority: 'high', version: 1 }),
        patch(id, { priority: 'low', version: 1 }, lead),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    });

    const allowed: [string, string][] = [
      ['new', 'open'], ['new', 'resolved'], ['new', 'spam'], ['open', 'waiting'], ['open', 'resolved'], ['open', 'spam'],
      ['waiting', 'open'], ['waiting', 'resolved'], ['waiting', 'spam'], ['resolved', 'open'], ['spam', 'new'],
    ];
    const statuses = ['new', 'open', 'waiting', 'resolved', 'spam'];
    const forbidden = statuses.flatMap((from) => statuses.filter((to) => to !== from && !allowed.some(([f, tt]) => f === from && tt === to)).map((to) => [from, to]));

    it.each(allowed)('allows %s → %s', async (from, to) => {
      const { id } = await insertInquiry(t, { status: from });
      const res = await patch(id, { status: to, version: 1 }).expect(200);
      expect(res.body).toMatchObject({ status: to, version: 2 });
    });

    it.each(forbidden)('answers 422 for %s → %s and changes nothing', async (from, to) => {
      const { id } = await insertInquiry(t, { status: from });
      const res = await patch(id, { status: to, version: 1 }).expect(422);
      expect(res.body).toEqual({ statusCode: 422, message: expect.stringContaining(from) });
      expect((await get(id)).body).toMatchObject({ status: from, version: 1 });
    });

    it('sets resolved_at on resolving and clears it on reopening', async () => {
      const { id } = await submit();
      const resolved = await patch(id, { status: 'resolved', version: 1 }).expect(200);
      expect(resolved.body.resolvedAt).toEqual(expect.any(String));
      const reopened = await patch(id, { status: 'open', version: 2 }).expect(200);
      expect(reopened.body.resolvedAt).toBeNull();
    });

    it('unassigns with assigneeId null, and refuses an unknown or deactivated assignee with 400', async () => {
      const { id } = await submit();
      await patch(id, { assigneeId: officer.id, version: 1 }).expect(200);
      const unassigned = await patch(id, { assigneeId: null, version: 2 }).expect(200);
      expect(unassigned.body.assignee).toBeNull();

      const gone = await createStaff(t, 'officer');
      await t.db.query(`UPDATE staff SET active = false WHERE id = $1`, [gone.id]);
      for (const assigneeId of [gone.id, '0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10']) {
        const res = await patch(id, { assigneeId, version: 3 }).expect(400);
        expect(res.body.errors).toEqual([{ field: 'assigneeId', message: expect.any(String) }]);
      }
    });

    it('sends a routing email to the new topic\'s mailbox when the topic changes', async () => {
      await t.db.query(`UPDATE topics SET mailbox = 'workforce-team@charity.example' WHERE key = 'workforce'`);
      const { id, reference } = await submit({ topic: 'waiting-times', subject: 'Nurse numbers' });
      const inquiry = (await get(id)).body;
      const res = await patch(id, { topic: 'workforce', version: 1 }).expect(200);
      expect(res.body.topic).toBe('workforce');
      const routing = (await emailsOf(id)).filter((e: { kind: string }) => e.kind === 'routing');
      expect(routing).toHaveLength(2);
      expect(routing[1]).toMatchObject({
        recipient: 'workforce-team@charity.example', subject: `[${reference}] Nurse numbers`, reply_to: inquiry.email,
      });
      expect((await get(`${id}/audit`)).body[0].changes).toEqual({ topic: { from: 'waiting-times', to: 'workforce' } });
    });

    it('refuses an unknown or inactive topic with 400', async () => {
      const { id } = await submit();
      await t.db.query(`INSERT INTO topics (key, label, active) VALUES ('retired', 'Retired', false) ON CONFLICT DO NOTHING`);
      for (const topic of ['no-such-topic', 'retired']) {
        const res = await patch(id, { topic, version: 1 }).expect(400);
        expect(res.body.errors).toEqual([{ field: 'topic', message: expect.any(String) }]);
      }
    });

    it.each([
      ['no version', { status: 'open' }, ['version']],
      ['a version as text', { status: 'open', version: '1' }, ['version']],
      ['an unknown status', { status: 'closed', version: 1 }, ['status']],
      ['a null status', { status: null, version: 1 }, ['status']],
      ['an unknown priority', { priority: 'asap', version: 1 }, ['priority']],
      ['a malformed assignee', { assigneeId: 'bob', version: 1 }, ['assigneeId']],
      ['21 tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`), version: 1 }, ['tags']],
      ['a 51-character tag', { tags: ['x'.repeat(51)], version: 1 }, ['tags']],
      ['an empty tag', { tags: [''], version: 1 }, ['tags']],
      ['a tag with a line break', { tags: ['a\nb'], version: 1 }, ['tags']],
      ['tags that are not a list', { tags: 'press', version: 1 }, ['tags']],
      ['a tag that is not text', { tags: [7], version: 1 }, ['tags']],
      ['an unknown field', { reference: 'POL-AAAAAA', version: 1 }, ['reference']],
      ['several bad fields', { status: 'x', priority: 'y', version: 0 }, ['priority', 'status', 'version']],
    ])('answers 400 for %s', async (_label, body, fields) => {
      const { id } = await submit();
      const res = await patch(id, body).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(fields);
    });

    it('accepts 20 tags of 50 characters', async () => {
      const { id } = await submit();
      const tags = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(50, 'é'));
      const res = await patch(id, { tags, version: 1 }).expect(200);
      expect(res.body.tags).toEqual(tags);
    });

    it('answers 404 for an unknown inquiry', async () => {
      await patch('0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10', { status: 'open', version: 1 }).expect(404);
      await patch('garbage', { status: 'open', version: 1 }).expect(404);
    });
  });

  describe('POST /api/admin/inquiries/:id/notes', () => {
    it('adds an internal note, emails nothing, and audits it', async () => {
      const { id } = await submit();
      const before = await emailsOf(id);
      const res = await post(`${id}/notes`, { body: 'Called the trust; they will send figures.' }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String), body: 'Called the trust; they will send figures.', author: { id: officer.id, name: 'Olivia Officer' },
        createdAt: expect.any(String),
      });
      expect(await emailsOf(id)).toEqual(before);
      const detail = (await get(id)).body;
      expect(detail.notes).toEqual([res.body]);
      expect(detail.conversation).toHaveLength(1);
      expect((await get(`${id}/audit`)).body).toEqual([
        expect.objectContaining({ action: 'note.added', actor: { id: officer.id, email: officer.email } }),
      ]);
    });

    it.each([
      ['no body', {}],
      ['an empty body', { body: '' }],
      ['a blank body', { body: '   ' }],
      ['a body of 10001 characters', { body: 'n'.repeat(10_001) }],
      ['a body that is not text', { body: 42 }],
      ['a body with a NUL', { body: 'a\u0000b' }],
    ])('answers 400 for %s', async (_label, body) => {
      const { id } = await submit();
      const res = await post(`${id}/notes`, body).expect(400);
      expect(res.body.errors).toEqual([{ field: 'body', message: expect.any(String) }]);
    });

    it('answers 404 for an unknown inquiry', async () => {
      await post('POL-ZZZZZZ/notes', { body: 'hello' }).expect(404);
    });
  });

  describe('POST /api/admin/inquiries/:id/replies', () => {
    it('stores the reply, queues a threaded email, moves the inquiry to waiting and records the first response', async () => {
      const { id, reference } = await submit({ subject: 'Screening ages' });
      const [ack] = (await emailsOf(id)).filter((e: { kind: string }) => e.kind === 'acknowledgement');
      const res = await post(`${id}/replies`, { body: 'Thank you. The age range is 50 to 74.' }).expect(202);
      expect(res.body).toEqual({ id: expect.any(String), emailId: expect.any(String), messageId: expect.any(String), status: 'waiting', version: 2 });

      const detail = (await get(id)).body;
      expect(detail).toMatchObject({ status: 'waiting', version: 2, firstResponseAt: expect.any(String) });
      expect(detail.conversation[1]).toEqual({
        id: res.body.id, direction: 'outbound', body: 'Thank you. The age range is 50 to 74.',
        staff: { id: officer.id, name: 'Olivia Officer' }, emailId: res.body.emailId, createdAt: expect.any(String),
      });
      const [reply] = (await emailsOf(id)).filter((e: { kind: string }) => e.kind === 'reply');
      expect(reply).toMatchObject({
        recipient: detail.email,
        subject: `Re: Screening ages [${reference}]`,
        in_reply_to: ack.message_id,
        references: [ack.message_id],
        reply_to: expect.stringMatching(new RegExp(`^reply\\+${reference}\\.[0-9a-f]{16}@`)), // signed (SPEC §6a)
        payload: { body: 'Thank you. The age range is 50 to 74.', staffName: 'Olivia Officer' },
      });

      // A second reply answers the first and lists the whole thread, the acknowledgement first.
      const firstResponseAt = detail.firstResponseAt;
      await post(`${id}/replies`, { body: 'One more thing.' }).expect(202);
      const replies = (await emailsOf(id)).filter((e: { kind: string }) => e.kind === 'reply');
      expect(replies[1]).toMatchObject({ in_reply_to: reply.message_id, references: [ack.message_id, reply.message_id] });
      expect((await get(id)).body).toMatchObject({ firstResponseAt, version: 3 });

      const audit = (await get(`${id}/audit`)).body;
      expect(audit[0]).toMatchObject({
        action: 'reply.sent', actor: { id: officer.id, email: officer.email },
        changes: { status: { from: 'new', to: 'waiting' }, firstResponseAt: { from: null, to: firstResponseAt }, reply: { from: null, to: reply.message_id } },
      });
    });

    it.each([['resolved'], ['spam']])('answers 422 for a %s inquiry and sends nothing', async (status) => {
      const { id } = await insertInquiry(t, { status });
      const res = await post(`${id}/replies`, { body: 'Hello' }).expect(422);
      expect(res.body).toEqual({ statusCode: 422, message: expect.any(String) });
      expect(await emailsOf(id)).toEqual([]);
    });

    it.each([['open'], ['waiting']])('accepts a reply to an %s inquiry', async (status) => {
      const { id } = await insertInquiry(t, { status });
      await post(`${id}/replies`, { body: 'Hello' }).expect(202);
    });

    it('answers 404 for unknown ids', async () => {
      await post('0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10/replies', { body: 'Hello' }).expect(404);
      await post('POL-ZZZZZZ/replies', { body: 'Hello' }).expect(404);
      await post('nonsense/replies', { body: 'Hello' }).expect(404);
    });

    it.each([
      ['no body', {}],
      ['an empty body', { body: '' }],
      ['a body of 10001 characters', { body: 'r'.repeat(10_001) }],
      ['a body that is a list', { body: ['a'] }],
      ['an extra field', { body: 'Hello', to: 'someone@example.org' }],
    ])('answers 400 for %s', async (_label, body) => {
      const { id } = await submit();
      await post(`${id}/replies`, body).expect(400);
      expect((await emailsOf(id)).filter((e: { kind: string }) => e.kind === 'reply')).toEqual([]);
    });
  });

  it('answers 404 for the audit trail of an unknown inquiry', async () => {
    await get('0b6c3f0e-8d0f-4a57-9d0b-3a3f4c1f2e10/audit').expect(404);
    await get('bad/audit').expect(404);
  });

  it('answers 401 without a token on every inbox route', async () => {
    const { id } = await submit();
    await request(t.http).get(`/api/admin/inquiries/${id}`).expect(401);
    await request(t.http).patch(`/api/admin/inquiries/${id}`).send({ version: 1 }).expect(401);
    await request(t.http).post(`/api/admin/inquiries/${id}/notes`).send({ body: 'x' }).expect(401);
    await request(t.http).post(`/api/admin/inquiries/${id}/replies`).send({ body: 'x' }).expect(401);
    await request(t.http).get(`/api/admin/inquiries/${id}/audit`).expect(401);
    await request(t.http).get('/api/admin/stats').expect(401);
  });
});
