import { RequestMethod } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { ADMIN_ONLY, STAFF_PAGE } from '../src/auth/auth.decorators.js';
import { createTestApp, TestApp } from './support/app.js';
import { createStaff } from './support/staff.js';
import { createStaffWithPassword, csrfOf, TEST_PASSWORD, webSignIn } from './support/web.js';

/** Every route of a web inbox controller (@StaffWeb/@AdminWeb), from Nest's own module graph. */
function webRoutes(t: TestApp): { method: string; path: string; adminOnly: boolean }[] {
  const reflector = new Reflector();
  const out: { method: string; path: string; adminOnly: boolean }[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!ctrl || !reflector.get(STAFF_PAGE, ctrl)) continue;
      const base = [Reflect.getMetadata('path', ctrl) ?? ''].flat()[0] as string;
      for (const name of Object.getOwnPropertyNames(ctrl.prototype)) {
        const handler = ctrl.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata('method', handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata('method', handler) as number];
        for (const sub of [Reflect.getMetadata('path', handler) ?? ''].flat() as string[]) {
          out.push({
            method,
            path: `/${[base, sub].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1'),
            adminOnly: Boolean(reflector.getAllAndOverride(ADMIN_ONLY, [handler, ctrl])),
          });
        }
      }
    }
  }
  return out;
}

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

  it('ends the session at once on "Sign out": the old cookie opens nothing', async () => {
    const officer = await createStaffWithPassword(t);
    const { agent, csrf } = await webSignIn(t, officer.email);
    const cookie = (await t.db.query(`SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1`, [officer.id]))[0].n;
    expect(cookie).toBe(1);
    const jar = agent.jar.getCookie('pi_session', { path: '/', domain: '127.0.0.1', secure: false, script: false } as never);
    const res = await agent.post('/admin/logout').type('form').send({ _csrf: csrf }).expect(303);
    expect(res.headers.location).toBe('/admin/login?signedOut=1');
    expect((await t.db.query(`SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1`, [officer.id]))[0].n).toBe(0);
    // The cookie as it was before signing out (a copy someone kept) is refused too.
    const old = await request(t.http).get('/admin/inbox').set('Cookie', `pi_session=${jar?.value ?? 'x'}`).expect(303);
    expect(old.headers.location).toBe('/admin/login');
  });

  it('refuses a post without the session\'s CSRF token (403), and keeps the session', async () => {
    const officer = await createStaffWithPassword(t);
    const { agent, csrf } = await webSignIn(t, officer.email);
    await agent.post('/admin/logout').type('form').send({}).expect(403);
    await agent.post('/admin/logout').type('form').send({ _csrf: `${csrf.slice(0, -1)}x` }).expect(403);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1`, [officer.id]))[0].n).toBe(1);
  });

  it('ends a session after 2 hours without use and 12 hours after sign-in', async () => {
    const officer = await createStaffWithPassword(t);
    const idle = await webSignIn(t, officer.email);
    await t.db.query(`UPDATE staff_sessions SET last_seen_at = now() - interval '2 hours 1 minute' WHERE staff_id = $1`, [officer.id]);
    expect((await idle.agent.get('/admin/saved-replies')).status).toBe(303);
    const long = await webSignIn(t, officer.email);
    await t.db.query(`UPDATE staff_sessions SET created_at = now() - interval '12 hours 1 minute' WHERE staff_id = $1`, [officer.id]);
    expect((await long.agent.get('/admin/saved-replies')).status).toBe(303);
    const fresh = await webSignIn(t, officer.email);
    expect((await fresh.agent.get('/admin/saved-replies')).status).not.toBe(303);
  });

  it('ends every session of an account that is deactivated or whose password is changed', async () => {
    const admin = await createStaff(t, 'admin');
    const officer = await createStaffWithPassword(t);
    const { agent } = await webSignIn(t, officer.email);
    expect((await agent.get('/admin/saved-replies')).status).not.toBe(303);
    await request(t.http).patch(`/api/admin/staff/${officer.id}`).set('Authorization', admin.auth).send({ active: false }).expect(200);
    expect((await agent.get('/admin/saved-replies')).headers.location).toBe('/admin/login?next=%2Fadmin%2Fsaved-replies');
    const other = await createStaffWithPassword(t);
    const second = await webSignIn(t, other.email);
    await t.db.query(`UPDATE staff SET token_version = token_version + 1 WHERE id = $1`, [other.id]);
    expect((await second.agent.get('/admin/saved-replies')).status).toBe(303);
  });

  it('locks an address after 5 failed sign-ins, saying how long to wait', async () => {
    const officer = await createStaffWithPassword(t);
    const agent = request.agent(t.http);
    const form = await agent.get('/admin/login');
    const csrf = csrfOf(form.text);
    for (let i = 0; i < 5; i++) {
      await agent.post('/admin/login').type('form').send({ _csrf: csrf, email: officer.email, password: `wrong ${i}` }).expect(401);
    }
    const locked = await agent.post('/admin/login').type('form').send({ _csrf: csrf, email: officer.email, password: TEST_PASSWORD }).expect(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(60);
    expect(locked.text).toContain('There is a problem');
    expect(locked.text).toMatch(/Wait 1[45] minutes/);
  });

  it('answers an officer with the 403 page on every admin page, GET and POST alike', async () => {
    const officer = await createStaffWithPassword(t);
    const { agent, csrf } = await webSignIn(t, officer.email);
    const routes = webRoutes(t).filter((r) => r.adminOnly);
    const seen: string[] = [];
    for (const r of routes) {
      const url = r.path.replace(/:[A-Za-z0-9_]+/g, '0b9c3f4e-8d7a-4c21-9e5f-3a2b1c0d9e8f');
      const res = r.method === 'GET' ? await agent.get(url) : await agent.post(url).type('form').send({ _csrf: csrf });
      seen.push(`${r.method} ${r.path} -> ${res.status}`);
      expect(`${r.method} ${r.path} -> ${res.status}`).toBe(`${r.method} ${r.path} -> 403`);
      expect(res.text).toContain('You need to be an admin to use this page');
    }
    expect(seen.length).toBe(routes.length);
  });

  it('marks the cookie Secure (and __Host-) when the service is on https', async () => {
    const secure = await createTestApp({ env: { PUBLIC_BASE_URL: 'https://inbox.charity.example' } });
    try {
      const officer = await createStaffWithPassword(secure);
      const agent = request.agent(secure.http);
      const form = await agent.get('/admin/login');
      const res = await request(secure.http).post('/admin/login').type('form')
        .set('Cookie', ([] as string[]).concat(form.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; '))
        .send({ _csrf: csrfOf(form.text), email: officer.email, password: TEST_PASSWORD }).expect(303);
      expect(String(res.headers['set-cookie'])).toMatch(/__Host-pi_session=[^;]+; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax/);
    } finally {
      await secure.close();
    }
  });

  it('audits sign-ins, and a refused one by a keyed hash, never the address', async () => {
    const officer = await createStaffWithPassword(t);
    await webSignIn(t, officer.email);
    const ok = await t.db.query(`SELECT actor_id, actor_email FROM audit_events WHERE action = 'auth.signed-in' AND actor_id = $1`, [officer.id]);
    expect(ok).toEqual([{ actor_id: officer.id, actor_email: officer.email }]);
    const agent = request.agent(t.http);
    const form = await agent.get('/admin/login');
    const address = `nobody.${Date.now()}@charity.example`;
    await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), email: address, password: 'wrong password' }).expect(401);
    const refused = await t.db.query(`SELECT actor_id, changes FROM audit_events WHERE action = 'auth.sign-in-refused' ORDER BY created_at DESC LIMIT 1`);
    expect(refused[0].actor_id).toBeNull();
    expect(refused[0].changes).toEqual({ subjectHash: { from: null, to: expect.stringMatching(/^[0-9a-f]{32}$/) }, reason: { from: null, to: 'credentials' } });
    expect(JSON.stringify(refused)).not.toContain('nobody');
  });

  it('opens the queue dashboard for an admin signed in on the web, not for an officer', async () => {
    const admin = await createStaffWithPassword(t, 'admin');
    const officer = await createStaffWithPassword(t);
    const asAdmin = await webSignIn(t, admin.email);
    expect((await asAdmin.agent.get('/admin/queues')).status).toBe(200);
    const asOfficer = await webSignIn(t, officer.email);
    expect((await asOfficer.agent.get('/admin/queues')).status).toBe(401);
    // An action posted from another site's page is refused even if the browser sent the cookie.
    const foreign = await asAdmin.agent.put('/admin/queues/api/queues/mail/pause').set('Origin', 'https://evil.example');
    expect(foreign.status).toBe(401);
  });

  it('sends / to the public form in production', async () => {
    const production = await createTestApp({ env: { NODE_ENV: 'production', APP_SECRET: 'a production secret of more than thirty-two characters' } });
    try {
      const res = await request(production.http).get('/').expect(303);
      expect(res.headers.location).toBe('/contact');
    } finally {
      await production.close();
    }
  });
});
