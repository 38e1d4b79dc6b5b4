import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { createStaff, TestStaff } from './support/staff.js';
import { createStaffWithPassword, webSignIn } from './support/web.js';
import { insertInquiry } from './inbox-fixtures.js';

describe('Reply drafts on the server (SPEC §9)', () => {
  let t: TestApp;
  let sam: TestStaff;
  let olivia: TestStaff;
  let admin: TestStaff;

  beforeAll(async () => {
    t = await createTestApp();
    sam = await createStaff(t, 'officer', { name: 'Sam Okafor' });
    olivia = await createStaff(t, 'officer', { name: 'Olivia Officer' });
    admin = await createStaff(t, 'admin', { name: 'Ada Admin' });
  });
  afterAll(async () => t.close());

  const draft = (method: 'get' | 'put' | 'delete', id: string, as: TestStaff) =>
    request(t.http)[method](`/api/admin/inquiries/${id}/draft`).set('Authorization', as.auth);

  describe('the API', () => {
    it('saves, replaces, reads and deletes one draft per person and inquiry', async () => {
      const { id, reference } = await insertInquiry(t, { status: 'open' });
      await draft('get', id, sam).expect(404);
      const first = await draft('put', id, sam).send({ body: 'Dear Sam,\n\nThank' }).expect(200);
      expect(first.body).toEqual({ body: 'Dear Sam,\n\nThank', updatedAt: expect.any(String) });
      await draft('put', reference.toLowerCase(), sam).send({ body: 'Dear Sam,\n\nThank you' }).expect(200);
      expect((await draft('get', id, sam).expect(200)).body.body).toBe('Dear Sam,\n\nThank you');

      // Someone else's draft on the same inquiry is theirs: it never touches mine.
      await draft('get', id, olivia).expect(404);
      await draft('put', id, olivia).send({ body: 'Olivia writing' }).expect(200);
      expect((await draft('get', id, sam).expect(200)).body.body).toBe('Dear Sam,\n\nThank you');

      await draft('delete', id, sam).expect(204);
      await draft('get', id, sam).expect(404);
      await draft('delete', id, sam).expect(204);
      expect((await draft('get', id, olivia).expect(200)).body.body).toBe('Olivia writing');
      // A blank body deletes the draft.
      await draft('put', id, olivia).send({ body: '  ' }).expect(204);
      await draft('get', id, olivia).expect(404);
    });

    it('refuses what a reply refuses: over 10,000 characters, control characters, not text; 404 for no inquiry', async () => {
      const { id } = await insertInquiry(t);
      await draft('put', id, sam).send({ body: '😀'.repeat(10_000) }).expect(200);
      const long = await draft('put', id, sam).send({ body: 'a'.repeat(10_001) }).expect(400);
      expect(long.body.errors).toEqual([expect.objectContaining({ field: 'body' })]);
      await draft('put', id, sam).send({ body: 'bell\u0007' }).expect(400);
      await draft('put', id, sam).send({ body: 42 }).expect(400);
      await draft('put', id, sam).send({}).expect(400);
      const nobody = randomUUID();
      await draft('put', nobody, sam).send({ body: 'x' }).expect(404);
      await draft('get', nobody, sam).expect(404);
      await draft('delete', 'not-a-reference', sam).expect(404);
      await request(t.http).get(`/api/admin/inquiries/${id}/draft`).expect(401);
    });

    it("deletes the sender's draft when the reply is sent, and only theirs", async () => {
      const { id } = await insertInquiry(t, { status: 'open' });
      await draft('put', id, sam).send({ body: 'Almost done' }).expect(200);
      await draft('put', id, olivia).send({ body: 'My own go' }).expect(200);
      await request(t.http).post(`/api/admin/inquiries/${id}/replies`).set('Authorization', sam.auth).send({ body: 'Done' }).expect(202);
      await draft('get', id, sam).expect(404);
      expect((await draft('get', id, olivia).expect(200)).body.body).toBe('My own go');
    });

    it('keeps the draft when the reply is held as stale', async () => {
      const { id } = await insertInquiry(t, { status: 'open' });
      await request(t.http).post(`/api/admin/inquiries/${id}/notes`).set('Authorization', olivia.auth).send({ body: 'New note' }).expect(201);
      await draft('put', id, sam).send({ body: 'Kept' }).expect(200);
      await request(t.http).post(`/api/admin/inquiries/${id}/replies`).set('Authorization', sam.auth)
        .send({ body: 'Kept', seenUpTo: 'original' }).expect(409);
      expect((await draft('get', id, sam).expect(200)).body.body).toBe('Kept');
    });
  });

  describe('personal data', () => {
    it('is in the subject-access export, and erased with the address', async () => {
      const address = `drafted.${randomUUID().slice(0, 8)}@example.org`;
      const { id } = await insertInquiry(t, { email: address, status: 'open' });
      const other = await insertInquiry(t, { status: 'open' });
      await draft('put', id, sam).send({ body: 'Dear Alex, about your question' }).expect(200);
      await draft('put', other.id, sam).send({ body: `I will copy in ${address} as well` }).expect(200);
      const exported = await request(t.http).get(`/api/admin/data-subjects/${encodeURIComponent(address)}/export`)
        .set('Authorization', admin.auth).expect(200);
      expect(exported.body.drafts).toEqual([expect.objectContaining({ inquiryId: id, body: 'Dear Alex, about your question' })]);

      await request(t.http).delete(`/api/admin/data-subjects/${encodeURIComponent(address)}`).set('Authorization', admin.auth).expect(200);
      await draft('get', id, sam).expect(404);
      expect((await draft('get', other.id, sam).expect(200)).body.body).toBe('I will copy in [erased] as well');
    });

    it('is deleted by retention with the inquiry it belongs to', async () => {
      const { id } = await insertInquiry(t, { status: 'resolved' });
      await t.db.query(`UPDATE inquiries SET created_at = now() - interval '31 months', resolved_at = now() - interval '30 months' WHERE id = $1`, [id]);
      await draft('put', id, sam).send({ body: 'An old draft' }).expect(200);
      await request(t.http).post('/api/admin/retention/runs').set('Authorization', admin.auth).expect(201);
      const rows = await t.db.query(`SELECT 1 FROM inquiry_drafts WHERE inquiry_id = $1`, [id]);
      expect(rows).toHaveLength(0);
    });
  });

  describe('on the inquiry page', () => {
    it('pre-fills the reply with my draft, saves it with "Save draft" (no JavaScript) and forgets it once sent', async () => {
      const priya = await createStaffWithPassword(t, 'officer', { name: 'Priya Shah' });
      const { agent, csrf } = await webSignIn(t, priya.email);
      const { reference } = await insertInquiry(t, { status: 'open' });
      const path = `/admin/inquiries/${reference}`;
      let page = (await agent.get(path).expect(200)).text;
      expect(page).toContain(`formaction="${path}/draft"`);
      expect(page).toContain('>Save draft</button>');

      const saved = await agent.post(`${path}/draft`).type('form').send({ _csrf: csrf, body: 'Half\r\nway' }).expect(303);
      expect(saved.headers.location).toBe(`${path}#reply-body`);
      page = (await agent.get(path).expect(200)).text;
      expect(page).toContain('Draft saved');
      expect(page).toContain('>Half\nway</textarea>');
      // Someone else's page does not show my draft.
      const other = await webSignIn(t, (await createStaffWithPassword(t, 'officer', { name: 'Omar' })).email);
      expect((await other.agent.get(path).expect(200)).text).not.toContain('Half');

      await agent.post(`${path}/draft`).type('form').send({ _csrf: csrf, body: 'bell\u0007' }).expect(400);
      expect((await agent.get(path).expect(200)).text).toContain('>Half\nway</textarea>');

      await agent.post(`${path}/replies`).type('form').send({ _csrf: csrf, body: 'Half way and done' }).expect(303);
      page = (await agent.get(path).expect(200)).text;
      expect(page).not.toContain('>Half\nway</textarea>');
      expect(page).not.toContain('Draft saved');
    });

    it('autosaves by PUT with the X-CSRF-Token header (JSON), and refuses it without the token', async () => {
      const priya = await createStaffWithPassword(t, 'officer', { name: 'Priya Shah' });
      const { agent, csrf } = await webSignIn(t, priya.email);
      const { id, reference } = await insertInquiry(t, { status: 'open' });
      const path = `/admin/inquiries/${reference}/draft`;
      await agent.put(path).send({ body: 'typed' }).expect(403);
      const res = await agent.put(path).set('X-CSRF-Token', csrf).send({ body: 'typed so far' }).expect(200);
      expect(res.body).toEqual({ body: 'typed so far', updatedAt: expect.any(String) });
      const [row] = await t.db.query(`SELECT body FROM inquiry_drafts WHERE inquiry_id = $1 AND staff_id = $2`, [id, priya.id]);
      expect(row.body).toBe('typed so far');
      const bad = await agent.put(path).set('X-CSRF-Token', csrf).send({ body: 'x'.repeat(10_001) }).expect(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'body' })]);
      await agent.put(path).set('X-CSRF-Token', csrf).send({ body: '' }).expect(204);
      expect(await t.db.query(`SELECT 1 FROM inquiry_drafts WHERE inquiry_id = $1`, [id])).toHaveLength(0);
    });
  });
});
