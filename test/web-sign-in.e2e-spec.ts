import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { createStaffWithPassword, csrfOf, TEST_PASSWORD } from './support/web.js';

describe('signing in to the web inbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('shows a start page at / outside production', async () => {
    const res = await request(t.http).get('/').expect(200);
    expect(res.text).toContain('href="/admin/inbox"');
    expect(res.text).toContain('href="/contact"');
  });

  it('sends a visit without a session to sign-in, and back to the page after it', async () => {
    const officer = await createStaffWithPassword(t);
    const agent = request.agent(t.http);
    const first = await agent.get('/admin/inquiries/POL-7K3M9Q').expect(303);
    expect(first.headers.location).toBe('/admin/login?next=%2Fadmin%2Finquiries%2FPOL-7K3M9Q');
    const form = await agent.get(first.headers.location).expect(200);
    expect(form.text).toContain('value="/admin/inquiries/POL-7K3M9Q"');
    const res = await agent.post('/admin/login').type('form')
      .send({ _csrf: csrfOf(form.text), email: officer.email, password: TEST_PASSWORD, next: '/admin/inquiries/POL-7K3M9Q' })
      .expect(303);
    expect(res.headers.location).toBe('/admin/inquiries/POL-7K3M9Q');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/pi_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax/);
    const [row] = await t.db.query(`SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1`, [officer.id]);
    expect(row.n).toBe(1);
  });

  it('never follows next to another site', async () => {
    const officer = await createStaffWithPassword(t);
    for (const next of ['https://evil.example', '//evil.example', '/\\evil.example', '/admin/login', 'javascript:alert(1)']) {
      const agent = request.agent(t.http);
      const form = await agent.get(`/admin/login?next=${encodeURIComponent(next)}`).expect(200);
      const res = await agent.post('/admin/login').type('form')
        .send({ _csrf: csrfOf(form.text), email: officer.email, password: TEST_PASSWORD, next }).expect(303);
      expect(`${next} -> ${res.headers.location}`).toBe(`${next} -> /admin/inbox`);
    }
  });

  it('answers a wrong password and an unknown address alike, with the error summary', async () => {
    const officer = await createStaffWithPassword(t);
    const answers = [];
    for (const [email, password] of [[officer.email, 'not the password'], ['nobody@charity.example', TEST_PASSWORD]]) {
      const agent = request.agent(t.http);
      const form = await agent.get('/admin/login');
      const res = await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), email, password }).expect(401);
      expect(res.text).toContain('There is a problem');
      expect(res.text).toContain('<title>Error: Sign in – Policy Inbox</title>');
      answers.push(/<ul class="error-summary__list">([\s\S]*?)<\/ul>/.exec(res.text)![1]);
    }
    expect(answers[0]).toBe(answers[1]);
  });

  it('refuses a sign-in post without its CSRF token', async () => {
    const officer = await createStaffWithPassword(t);
    await request(t.http).post('/admin/login').type('form').send({ email: officer.email, password: TEST_PASSWORD }).expect(403);
  });
});
