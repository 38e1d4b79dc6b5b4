import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { createStaff, TestStaff } from './support/staff.js';

describe('admin resources', () => {
  let t: TestApp;
  let admin: TestStaff;
  let officer: TestStaff;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createStaff(t, 'admin');
    officer = await createStaff(t, 'officer');
  });
  afterAll(async () => t.close());

  const as = (who: TestStaff) => ({
    get: (url: string) => request(t.http).get(url).set('Authorization', who.auth),
    post: (url: string, body?: object) => request(t.http).post(url).set('Authorization', who.auth).send(body),
    patch: (url: string, body: object) => request(t.http).patch(url).set('Authorization', who.auth).send(body),
    delete: (url: string) => request(t.http).delete(url).set('Authorization', who.auth),
  });
  const audit = (action: string) =>
    t.db.query(`SELECT actor_id, actor_email, inquiry_id, changes FROM audit_events WHERE action = $1 ORDER BY created_at`, [action]);

  describe('staff', () => {
    it('creates an account with a password, lists it, and refuses a duplicate email with 409', async () => {
      const email = `maya.${Date.now()}@charity.example`;
      const res = await as(admin).post('/api/admin/staff', { email, name: 'Maya Patel', role: 'officer', password: 'a long enough password' }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String), email, name: 'Maya Patel', role: 'officer', active: true, passwordSet: true, twoFactor: false, createdAt: expect.any(String),
      });
      const list = await as(admin).get('/api/admin/staff').expect(200);
      expect(list.body.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([res.body.id, admin.id, officer.id]));
      expect(JSON.stringify(list.body)).not.toMatch(/password_?hash|argon2/i);
      await as(admin).post('/api/admin/staff', { email: email.toUpperCase(), name: 'Maya Again', role: 'admin' }).expect(409);
      // No invitation for an account made with a password.
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbound_emails WHERE recipient = $1`, [email]);
      expect(n).toBe(0);
      const [created] = await audit('staff.created');
      expect(created).toMatchObject({ actor_id: admin.id, inquiry_id: null, changes: { email: { from: null, to: email } } });
    });

    it.each([
      ['a password of 11 characters', { password: 'p'.repeat(11) }, 'password'],
      ['a password of 201 characters', { password: 'p'.repeat(201) }, 'password'],
      ['an unknown role', { role: 'owner' }, 'role'],
      ['a bad email', { email: 'nope' }, 'email'],
      ['a name with a line break', { name: 'Sam\nJones' }, 'name'],
      ['an unknown field', { isAdmin: true }, 'isAdmin'],
    ])('refuses %s with 400', async (_label, change, field) => {
      const body = { email: `x.${Math.random().toString(36).slice(2)}@charity.example`, name: 'Sam Jones', role: 'officer', ...change };
      const res = await as(admin).post('/api/admin/staff', body).expect(400);
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('changes a role and deactivates, with an audit trail; an admin cannot demote or deactivate themself', async () => {
      const s = await createStaff(t, 'officer');
      const promoted = await as(admin).patch(`/api/admin/staff/${s.id}`, { role: 'admin' }).expect(200);
      expect(promoted.body).toMatchObject({ id: s.id, role: 'admin', active: true });
      const off = await as(admin).patch(`/api/admin/staff/${s.id}`, { active: false }).expect(200);
      expect(off.body).toMatchObject({ role: 'admin', active: false });
      const [{ token_version }] = await t.db.query(`SELECT token_version FROM staff WHERE id = $1`, [s.id]);
      expect(token_version).toBe(2);
      const changes = (await audit('staff.updated')).filter((a: { changes: { id: { to: string } } }) => a.changes.id.to === s.id);
      expect(changes.map((a: { changes: object }) => a.changes)).toEqual([
        { id: { from: s.id, to: s.id }, role: { from: 'officer', to: 'admin' } },
        { id: { from: s.id, to: s.id }, active: { from: true, to: false } },
      ]);

      await as(admin).patch(`/api/admin/staff/${admin.id}`, { active: false }).expect(422);
      await as(admin).patch(`/api/admin/staff/${admin.id}`, { role: 'officer' }).expect(422);
      await as(admin).patch(`/api/admin/staff/${admin.id}`, { role: 'admin' }).expect(200);
      await as(admin).patch('/api/admin/staff/6f1c2a9e-4b3d-4e8f-9a7b-1c2d3e4f5a6b', { active: false }).expect(404);
      await as(admin).patch('/api/admin/staff/not-a-uuid', { active: false }).expect(400);
      await as(admin).patch(`/api/admin/staff/${s.id}`, { role: 'owner' }).expect(400);
    });
  });

  describe('topics', () => {
    it('lists every topic, active or not, with routing settings', async () => {
      const res = await as(admin).get('/api/admin/topics').expect(200);
      expect(res.body.length).toBeGreaterThanOrEqual(5);
      expect(res.body[0]).toEqual({
        key: expect.any(String), label: expect.any(String), description: expect.any(String), mailbox: null,
        responseTargetDays: expect.any(Number), active: true, sortOrder: expect.any(Number),
      });
    });

    it('creates, changes and deactivates a topic, and the public list follows at once', async () => {
      const created = await as(admin).post('/api/admin/topics', {
        key: 'screening-2026', label: 'Screening in 2026', description: 'Bowel, breast and cervical screening.',
        mailbox: 'screening@charity.example', responseTargetDays: 5, active: true,
      }).expect(201);
      expect(created.body).toEqual({
        key: 'screening-2026', label: 'Screening in 2026', description: 'Bowel, breast and cervical screening.',
        mailbox: 'screening@charity.example', responseTargetDays: 5, active: true, sortOrder: 0,
      });
      let pub = await request(t.http).get('/api/topics').expect(200);
      expect(pub.body.map((x: { key: string }) => x.key)).toContain('screening-2026');
      await as(admin).post('/api/admin/topics', { key: 'screening-2026', label: 'Again' }).expect(409);

      const changed = await as(admin).patch('/api/admin/topics/screening-2026', { label: 'Screening', mailbox: null, responseTargetDays: 20 }).expect(200);
      expect(changed.body).toMatchObject({ key: 'screening-2026', label: 'Screening', mailbox: null, responseTargetDays: 20, active: true });
      const [row] = await t.db.query(`SELECT label, mailbox, response_target_days FROM topics WHERE key = 'screening-2026'`);
      expect(row).toEqual({ label: 'Screening', mailbox: null, response_target_days: 20 });

      // A new inquiry about it gets the new response target; once inactive, the topic is refused.
      await request(t.http).post('/api/inquiries').send(validInquiry({ topic: 'screening-2026' })).expect(201);
      await as(admin).patch('/api/admin/topics/screening-2026', { active: false }).expect(200);
      pub = await request(t.http).get('/api/topics').expect(200);
      expect(pub.body.map((x: { key: string }) => x.key)).not.toContain('screening-2026');
      await request(t.http).post('/api/inquiries').send(validInquiry({ topic: 'screening-2026' })).expect(400);
      const all = await as(admin).get('/api/admin/topics').expect(200);
      expect(all.body.find((x: { key: string }) => x.key === 'screening-2026')).toMatchObject({ active: false });

      const trail = await audit('topic.updated');
      expect(trail.at(-1)).toMatchObject({ actor_id: admin.id, changes: { key: { to: 'screening-2026' }, active: { from: true, to: false } } });
      await as(admin).patch('/api/admin/topics/no-such-topic', { label: 'x' }).expect(404);
    });

    it.each([
      ['a key with capitals', { key: 'Screening' }, 'key'],
      ['a key of 51 characters', { key: 'k'.repeat(51) }, 'key'],
      ['a key with a space', { key: 'a b' }, 'key'],
      ['a mailbox that is not an email', { mailbox: 'team' }, 'mailbox'],
      ['a response target of 0', { responseTargetDays: 0 }, 'responseTargetDays'],
      ['a response target of 101', { responseTargetDays: 101 }, 'responseTargetDays'],
      ['a response target of 2.5', { responseTargetDays: 2.5 }, 'responseTargetDays'],
      ['active as a string', { active: 'yes' }, 'active'],
      ['an empty label', { label: '' }, 'label'],
    ])('refuses a topic with %s with 400', async (_label, change, field) => {
      const res = await as(admin).post('/api/admin/topics', { key: 'valid-key', label: 'Valid', ...change }).expect(400);
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('refuses a bad change to a topic with 400', async () => {
      await as(admin).patch('/api/admin/topics/other', { responseTargetDays: 0 }).expect(400);
      await as(admin).patch('/api/admin/topics/other', { key: 'renamed' }).expect(400);
      await as(admin).patch('/api/admin/topics/other', { mailbox: 'nope' }).expect(400);
    });
  });

  describe('canned replies', () => {
    it('lets any staff member create, list, change and delete them', async () => {
      const created = await as(officer).post('/api/admin/canned-replies', { title: 'Thanks, looking into it', body: 'Dear enquirer,\n\nThank you.' }).expect(201);
      expect(created.body).toEqual({
        id: expect.any(String), title: 'Thanks, looking into it', body: 'Dear enquirer,\n\nThank you.', createdBy: officer.id,
        createdAt: expect.any(String), updatedAt: expect.any(String),
      });
      await as(admin).post('/api/admin/canned-replies', { title: 'A first one', body: 'Hello.' }).expect(201);
      const list = await as(officer).get('/api/admin/canned-replies').expect(200);
      expect(list.body.map((c: { title: string }) => c.title)).toEqual(['A first one', 'Thanks, looking into it']);

      const changed = await as(admin).patch(`/api/admin/canned-replies/${created.body.id}`, { body: 'New body' }).expect(200);
      expect(changed.body).toMatchObject({ title: 'Thanks, looking into it', body: 'New body' });
      await as(officer).delete(`/api/admin/canned-replies/${created.body.id}`).expect(204);
      await as(officer).delete(`/api/admin/canned-replies/${created.body.id}`).expect(404);
      await as(officer).patch(`/api/admin/canned-replies/${created.body.id}`, { title: 'x' }).expect(404);
      const after = await as(officer).get('/api/admin/canned-replies').expect(200);
      expect(after.body.map((c: { title: string }) => c.title)).toEqual(['A first one']);
    });

    it.each([
      ['no title', { body: 'x' }, 'title'],
      ['a title with a line break', { title: 'a\nb', body: 'x' }, 'title'],
      ['an empty body', { title: 'a', body: '' }, 'body'],
      ['a body with NUL', { title: 'a', body: 'x\u0000y' }, 'body'],
      ['an unknown field', { title: 'a', body: 'b', createdBy: 'me' }, 'createdBy'],
    ])('refuses a canned reply with %s with 400', async (_label, body, field) => {
      const res = await as(officer).post('/api/admin/canned-replies', body).expect(400);
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });
  });

  describe('failed emails', () => {
    /** Submits inquiries (two outbox rows each) and marks their acknowledgements failed, oldest first. */
    async function failedAcknowledgements(n: number): Promise<{ id: string; reference: string; inquiryId: string }[]> {
      const out = [];
      for (let i = 0; i < n; i++) {
        const { body } = await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201);
        const [row] = await t.db.query(
          `WITH f AS (UPDATE outbound_emails SET status = 'failed', attempts = 3, last_error = '550 mailbox unavailable',
                         enqueued_at = now(), locked_until = now() + interval '1 minute'
                      WHERE inquiry_id = $1 AND kind = 'acknowledgement' RETURNING id)
           SELECT id FROM f`, [body.id]);
        out.push({ id: row.id, reference: body.reference, inquiryId: body.id });
      }
      return out;
    }

    it('lists failed emails newest first, with a cursor that pages through each exactly once', async () => {
      const failed = await failedAcknowledgements(5);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: request.Response = await as(admin).get(`/api/admin/emails?status=failed&limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(failed.map((f) => f.id).reverse());
      expect(pages).toBe(3);

      const first = await as(admin).get('/api/admin/emails?status=failed&limit=1').expect(200);
      const [row] = await t.db.query(`SELECT recipient, message_id FROM outbound_emails WHERE id = $1`, [failed[4].id]);
      expect(first.body.items[0]).toEqual({
        id: failed[4].id, inquiryId: failed[4].inquiryId, reference: failed[4].reference, kind: 'acknowledgement', to: row.recipient,
        status: 'failed', attempts: 3, lastError: '550 mailbox unavailable', messageId: row.message_id, sentAt: null,
        createdAt: expect.any(String),
      });
      // Without a filter every status is listed.
      const any = await as(admin).get('/api/admin/emails?limit=100').expect(200);
      expect(new Set(any.body.items.map((i: { status: string }) => i.status))).toEqual(new Set(['failed', 'pending']));
    });

    it.each([
      ['limit=0'], ['limit=101'], ['limit=abc'], ['status=lost'], ['cursor=bm90LWEtY3Vyc29y'], ['cursor=%7B%7D'], ['page=2'],
    ])('refuses %s with 400', async (query) => {
      const res = await as(admin).get(`/api/admin/emails?${query}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400 });
    });

    it('retries a failed email once: pending, due now, same Message-ID and attempts; 409 when not failed', async () => {
      const [f] = await failedAcknowledgements(1);
      const [before] = await t.db.query(`SELECT message_id FROM outbound_emails WHERE id = $1`, [f.id]);
      const res = await as(admin).post(`/api/admin/emails/${f.id}/retry`).expect(200);
      expect(res.body).toMatchObject({ id: f.id, status: 'pending', attempts: 3, messageId: before.message_id });
      const [after] = await t.db.query(
        `SELECT status, attempts, message_id, enqueued_at, locked_until, next_attempt_at <= now() AS due FROM outbound_emails WHERE id = $1`, [f.id]);
      expect(after).toEqual({ status: 'pending', attempts: 3, message_id: before.message_id, enqueued_at: null, locked_until: null, due: true });
      const [retried] = (await audit('email.retried')).filter((a: { inquiry_id: string }) => a.inquiry_id === f.inquiryId);
      expect(retried).toMatchObject({ actor_id: admin.id, changes: { status: { from: 'failed', to: 'pending' } } });

      await as(admin).post(`/api/admin/emails/${f.id}/retry`).expect(409);
      await t.db.query(`UPDATE outbound_emails SET status = 'sent', sent_at = now() WHERE id = $1`, [f.id]);
      await as(admin).post(`/api/admin/emails/${f.id}/retry`).expect(409);
      await as(admin).post('/api/admin/emails/6f1c2a9e-4b3d-4e8f-9a7b-1c2d3e4f5a6b/retry').expect(404);
      await as(admin).post('/api/admin/emails/nope/retry').expect(400);
    });
  });

  it('describes every admin route in the OpenAPI document with the bearer scheme', async () => {
    const { body } = await request(t.http).get('/api/docs-json').expect(200);
    for (const path of ['/api/admin/staff', '/api/admin/staff/{id}', '/api/admin/topics', '/api/admin/topics/{key}',
      '/api/admin/canned-replies', '/api/admin/canned-replies/{id}', '/api/admin/emails', '/api/admin/emails/{id}/retry']) {
      expect(body.paths[path]).toBeDefined();
      for (const op of Object.values(body.paths[path]) as { security?: object[] }[]) {
        expect(op.security).toEqual([{ bearer: [] }]);
      }
    }
    expect(body.paths['/api/admin/auth/login'].post.security).toBeUndefined();
    expect(body.components.schemas.CreateStaffDto.required).toEqual(expect.arrayContaining(['email', 'name', 'role']));
  });
});
