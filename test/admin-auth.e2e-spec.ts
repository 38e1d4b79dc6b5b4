import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { hashPassword } from '../src/auth/passwords.js';
import { createStaffAccount, parseStaffCreateArgs, CliError } from '../src/cli/staff-create.command.js';
import { createTestApp, TestApp } from './support/app.js';
import { createTestDatabase, dropTestDatabase } from './support/database.js';
import { TestSmtpServer } from './support/smtp.js';
import { createStaff, TestStaff } from './support/staff.js';

const PASSWORD = 'correct horse battery staple';

describe('staff sign-in', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: TestStaff;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    // Real delivery (workers inline, a real SMTP server) with short timings, so the invitation arrives quickly.
    t = await createTestApp({
      env: { SMTP_URL: smtp.url, WORKERS: 'inline' },
      config: { mail: { backoffMs: 200, maxAttempts: 5, relayPollMs: 200, leaseMs: 3_000, concurrency: 2, maxConnections: 1 } },
    });
    admin = await createStaff(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  /** A staff member with a password, written straight to the database. */
  async function member(role: 'admin' | 'officer' = 'officer', fields: { active?: boolean; password?: string | null } = {}) {
    const s = await createStaff(t, role);
    const hash = fields.password === null ? null : await hashPassword(fields.password ?? PASSWORD);
    await t.db.query(`UPDATE staff SET password_hash = $2, active = $3 WHERE id = $1`, [s.id, hash, fields.active ?? true]);
    return s;
  }
  const login = (email: string, password: string) =>
    request(t.http).post('/api/admin/auth/login').send({ email, password });
  const whoAmI = (auth: string) => request(t.http).get('/api/admin/canned-replies').set('Authorization', auth);

  it('signs in with email and password and returns a working bearer token', async () => {
    const s = await member('officer');
    const res = await login(s.email.toUpperCase(), PASSWORD).expect(200);
    expect(res.body).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expiresIn: 900,
      staff: { id: s.id, email: s.email, name: s.name, role: 'officer' },
    });
    await whoAmI(`Bearer ${res.body.accessToken}`).expect(200);
  });

  it('gives one 401 answer for an unknown email, a wrong password, a deactivated account and one without a password', async () => {
    const wrong = await member();
    const inactive = await member('officer', { active: false });
    const invited = await member('officer', { password: null });
    const answers = await Promise.all([
      login('nobody-here@charity.example', PASSWORD),
      login(wrong.email, 'not the right password'),
      login(inactive.email, PASSWORD),
      login(invited.email, PASSWORD),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual(answers[0].body);
    }
    expect(answers[0].body).toEqual({ statusCode: 401, message: expect.any(String) });
  });

  it.each([
    ['no body', {}],
    ['a malformed email', { email: 'not-an-email', password: PASSWORD }],
    ['an empty password', { email: 'a@charity.example', password: '' }],
    ['a password over 200 characters', { email: 'a@charity.example', password: 'p'.repeat(201) }],
    ['a number as password', { email: 'a@charity.example', password: 12345678901234 }],
    ['an unknown field', { email: 'a@charity.example', password: PASSWORD, role: 'admin' }],
  ])('refuses a login with %s with 400', async (_label, body) => {
    const res = await request(t.http).post('/api/admin/auth/login').send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, errors: expect.any(Array) });
  });

  it('locks an address after 5 wrong passwords: 429 with Retry-After, even for the right password', async () => {
    const s = await member();
    for (let i = 0; i < 5; i++) await login(s.email, `wrong password ${i}`).expect(401);
    const locked = await login(s.email, PASSWORD).expect(429);
    expect(locked.body).toEqual({ statusCode: 429, message: expect.any(String) });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    await login(s.email.toUpperCase(), PASSWORD).expect(429);
    // Another address is not affected.
    const other = await member();
    await login(other.email, PASSWORD).expect(200);
  });

  it('locks an unknown address the same way, so a lock reveals nothing', async () => {
    const ghost = `ghost.${Date.now()}@charity.example`;
    for (let i = 0; i < 5; i++) await login(ghost, 'whatever password').expect(401);
    const res = await login(ghost, 'whatever password').expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('clears the count after a successful sign-in', async () => {
    const s = await member();
    for (let i = 0; i < 4; i++) await login(s.email, 'wrong password!!').expect(401);
    await login(s.email, PASSWORD).expect(200);
    for (let i = 0; i < 4; i++) await login(s.email, 'wrong password!!').expect(401);
    await login(s.email, PASSWORD).expect(200);
  });

  describe('tokens', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = (id: string) => ({ sub: id, ver: 1, iss: 'policy-inbox', aud: 'policy-inbox-admin' });

    it('refuses an alg:none token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(admin.id), iat: now, exp: now + 600 })}.`;
      await whoAmI(`Bearer ${token}`).expect(401);
    });

    it('refuses a token signed with another secret', async () => {
      const token = await new JwtService().signAsync(claims(admin.id), { secret: 'x'.repeat(40), algorithm: 'HS256', expiresIn: 600 });
      await whoAmI(`Bearer ${token}`).expect(401);
    });

    it('refuses a token with another algorithm, even with the right secret', async () => {
      const token = await new JwtService().signAsync(claims(admin.id), { secret: t.config.appSecret, algorithm: 'HS512', expiresIn: 600 });
      await whoAmI(`Bearer ${token}`).expect(401);
    });

    it('refuses an expired token', async () => {
      const past = Math.floor(Date.now() / 1000) - 3600;
      const token = await new JwtService().signAsync({ ...claims(admin.id), iat: past - 900, exp: past }, { secret: t.config.appSecret, algorithm: 'HS256' });
      await whoAmI(`Bearer ${token}`).expect(401);
      // The same claims, unexpired, are accepted: the refusal above is about expiry alone.
      const fresh = await new JwtService().signAsync(claims(admin.id), { secret: t.config.appSecret, algorithm: 'HS256', expiresIn: 600 });
      await whoAmI(`Bearer ${fresh}`).expect(200);
    });

    it("refuses a deactivated account's token, and keeps refusing after reactivation", async () => {
      const s = await member();
      const { body } = await login(s.email, PASSWORD).expect(200);
      await whoAmI(`Bearer ${body.accessToken}`).expect(200);
      await request(t.http).patch(`/api/admin/staff/${s.id}`).set('Authorization', admin.auth).send({ active: false }).expect(200);
      await whoAmI(`Bearer ${body.accessToken}`).expect(401);
      await login(s.email, PASSWORD).expect(401);
      await request(t.http).patch(`/api/admin/staff/${s.id}`).set('Authorization', admin.auth).send({ active: true }).expect(200);
      await whoAmI(`Bearer ${body.accessToken}`).expect(401);
      const again = await login(s.email, PASSWORD).expect(200);
      await whoAmI(`Bearer ${again.body.accessToken}`).expect(200);
    });
  });

  describe('invitations', () => {
    // The link is taken from the email the SMTP server received: the outbox row drops it once the email is sent.
    const linkIn = (text: string) => new URL(/https?:\/\/\S+\/admin\/set-password\?token=[A-Za-z0-9_%-]+/.exec(text)![0]);
    it('invites by email; the link sets a password once; then sign-in works', async () => {
      const email = `invitee.${Date.now()}@charity.example`;
      const created = await request(t.http).post('/api/admin/staff').set('Authorization', admin.auth)
        .send({ email, name: 'Priya Shah', role: 'officer' }).expect(201);
      expect(created.body).toMatchObject({ email, name: 'Priya Shah', role: 'officer', active: true, passwordSet: false });

      const [row] = await t.db.query(
        `SELECT id, kind, recipient, inquiry_id, message_id, payload FROM outbound_emails WHERE kind = 'invitation' AND recipient = $1`, [email]);
      expect(row).toMatchObject({ kind: 'invitation', inquiry_id: null, payload: { name: 'Priya Shah' } });
      // The email goes out through the queue and the real SMTP server, carrying the link.
      const mail = await smtp.waitFor({ kind: 'invitation', to: email });
      const url = linkIn(mail.text);
      expect(`${url.origin}${url.pathname}`).toBe(`${t.config.publicBaseUrl}/admin/set-password`);
      const token = url.searchParams.get('token')!;
      // Only the token's hash is stored.
      const [stored] = await t.db.query(`SELECT token_hash, expires_at FROM staff_invitations WHERE staff_id = $1`, [created.body.id]);
      expect(stored.token_hash).not.toContain(token);
      const days = (new Date(stored.expires_at).getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(6.9);
      expect(days).toBeLessThanOrEqual(7);

      expect(mail.messageId).toBe(row.message_id);
      expect(mail.html).toContain(url.toString().replace(/&/g, '&amp;'));
      expect(mail.text).toContain('Priya Shah');

      await login(email, 'a brand new password').expect(401);
      await request(t.http).post('/api/admin/auth/set-password').send({ token, password: 'too short' }).expect(400);
      await request(t.http).post('/api/admin/auth/set-password').send({ token, password: 'a brand new password' }).expect(204);
      const again = await request(t.http).post('/api/admin/auth/set-password').send({ token, password: 'another new password' }).expect(400);
      expect(again.body.errors).toEqual([{ field: 'token', message: expect.any(String) }]);

      const res = await login(email, 'a brand new password').expect(200);
      expect(res.body.staff).toEqual({ id: created.body.id, email, name: 'Priya Shah', role: 'officer' });
      await login(email, 'another new password').expect(401);
      const audit = await t.db.query(`SELECT action FROM audit_events WHERE changes->'id'->>'to' = $1 OR actor_id::text = $1 ORDER BY created_at`, [created.body.id]);
      expect(audit.map((a: { action: string }) => a.action)).toEqual(['staff.invited', 'staff.password-set', 'auth.signed-in']);
    });

    it('serves the page the link opens: a form that sets the password without JavaScript', async () => {
      const email = `page.${Date.now()}@charity.example`;
      await request(t.http).post('/api/admin/staff').set('Authorization', admin.auth).send({ email, name: 'Page Person', role: 'admin' }).expect(201);
      const url = linkIn((await smtp.waitFor({ kind: 'invitation', to: email })).text);
      const token = url.searchParams.get('token')!;
      const page = await request(t.http).get(`${url.pathname}${url.search}`).expect(200).expect('Content-Type', /html/);
      expect(page.text).toContain(`name="token" value="${token}"`);
      expect(page.text).toContain('autocomplete="new-password"');
      expect(page.headers['cache-control']).toBe('no-store');

      const post = (fields: Record<string, string>) =>
        request(t.http).post('/admin/set-password').type('form').send({ token, ...fields });
      const mismatch = await post({ password: 'a page set password', confirmPassword: 'something else entirely' }).expect(400);
      expect(mismatch.text).toContain('There is a problem');
      expect(mismatch.text).toContain('<title>Error: ');
      await post({ password: 'short', confirmPassword: 'short' }).expect(400);
      const done = await post({ password: 'a page set password', confirmPassword: 'a page set password' }).expect(200);
      expect(done.text).toContain('Your password is set');
      await login(email, 'a page set password').expect(200);
      // The link works once.
      await request(t.http).get(`${url.pathname}${url.search}`).expect(404);
      await post({ password: 'another page password', confirmPassword: 'another page password' }).expect(400);
      await request(t.http).get('/admin/set-password?token=%3Cscript%3E').expect(404);
    });

    it('refuses an unknown or expired token with 400; an admin can send a new link', async () => {
      await request(t.http).post('/api/admin/auth/set-password').send({ token: 'A'.repeat(43), password: 'a brand new password' }).expect(400);
      const created = await request(t.http).post('/api/admin/staff').set('Authorization', admin.auth)
        .send({ email: `late.${Date.now()}@charity.example`, name: 'Late Larry', role: 'officer' }).expect(201);
      const first = await smtp.waitFor({ kind: 'invitation', to: created.body.email });
      await t.db.query(`UPDATE staff_invitations SET expires_at = now() - interval '1 second' WHERE staff_id = $1`, [created.body.id]);
      const token = linkIn(first.text).searchParams.get('token');
      await request(t.http).post('/api/admin/auth/set-password').send({ token, password: 'a brand new password' }).expect(400);

      // An admin sends a new link; it works, and only the newest link does.
      await request(t.http).post(`/api/admin/staff/${created.body.id}/invitation`).set('Authorization', admin.auth).expect(202);
      await request(t.http).post(`/api/admin/staff/${created.body.id}/invitation`).set('Authorization', admin.auth).expect(202);
      const mails = await smtp.waitForCount(3, { kind: 'invitation', to: created.body.email });
      // In the order the invitations were made (the emails may arrive in another order).
      const order: { message_id: string }[] = await t.db.query(
        `SELECT message_id FROM outbound_emails WHERE kind = 'invitation' AND recipient = $1 ORDER BY created_at`, [created.body.email]);
      const tokens = order.map((o) => linkIn(mails.find((m) => m.messageId === o.message_id)!.text).searchParams.get('token'));
      expect(new Set(tokens).size).toBe(3);
      const [, second, third] = tokens;
      await request(t.http).post('/api/admin/auth/set-password').send({ token: second, password: 'a brand new password' }).expect(400);
      await request(t.http).post('/api/admin/auth/set-password').send({ token: third, password: 'a brand new password' }).expect(204);
      await login(created.body.email, 'a brand new password').expect(200);
      await request(t.http).post('/api/admin/staff/6f1c2a9e-4b3d-4e8f-9a7b-1c2d3e4f5a6b/invitation').set('Authorization', admin.auth).expect(404);
    });
  });

  describe('the queue dashboard', () => {
    const basic = (email: string, password: string) => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

    it('opens for an admin with HTTP Basic, and for an admin bearer token', async () => {
      const a = await member('admin');
      const page = await request(t.http).get('/admin/queues').set('Authorization', basic(a.email, PASSWORD)).expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const script = /src="(static\/[^"]+\.js)"/.exec(page.text)![1];
      await request(t.http).get(`/admin/queues/${script}`).set('Authorization', basic(a.email, PASSWORD))
        .expect(200).expect('Content-Type', /javascript/);
      await request(t.http).get(`/admin/queues/${script}`).expect(401);
      const api = await request(t.http).get('/admin/queues/api/queues').set('Authorization', basic(a.email, PASSWORD)).expect(200);
      expect(JSON.stringify(api.body)).toContain('"name":"mail"');
      await request(t.http).get('/admin/queues/api/queues').set('Authorization', admin.auth).expect(200);
    });

    it('refuses an officer, a wrong password and a deactivated admin with a Basic challenge', async () => {
      const officer = await member('officer');
      const a = await member('admin');
      for (const auth of [basic(officer.email, PASSWORD), basic(a.email, 'wrong password!!'), officer.auth]) {
        const res = await request(t.http).get('/admin/queues').set('Authorization', auth).expect(401);
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Policy Inbox queues"/);
      }
      await request(t.http).get('/admin/queues').set('Authorization', basic(a.email, PASSWORD)).expect(200);
      await t.db.query(`UPDATE staff SET active = false, token_version = token_version + 1 WHERE id = $1`, [a.id]);
      await request(t.http).get('/admin/queues').set('Authorization', basic(a.email, PASSWORD)).expect(401);
    });
  });
});

describe('the first admin', () => {
  it('is created once from ADMIN_EMAIL/ADMIN_PASSWORD, even when two processes start at once', async () => {
    const databaseName = await createTestDatabase();
    const env = { ADMIN_EMAIL: 'Lead@Charity.example', ADMIN_PASSWORD: 'first admin password' };
    const apps = await Promise.all([createTestApp({ databaseName, env }), createTestApp({ databaseName, env })]);
    try {
      const rows = await apps[0].db.query(`SELECT email, role, active FROM staff`);
      expect(rows).toEqual([{ email: 'lead@charity.example', role: 'admin', active: true }]);
      const res = await request(apps[1].http).post('/api/admin/auth/login').send({ email: 'lead@charity.example', password: env.ADMIN_PASSWORD }).expect(200);
      expect(res.body.staff.role).toBe('admin');
      // Once someone exists, a later start with other settings creates nobody.
      const third = await createTestApp({ databaseName, env: { ADMIN_EMAIL: 'other@charity.example', ADMIN_PASSWORD: 'another admin password' } });
      await third.close();
      expect((await apps[0].db.query(`SELECT count(*)::int AS n FROM staff`))[0].n).toBe(1);
    } finally {
      for (const app of apps) await app.close();
      await dropTestDatabase(databaseName);
    }
  });
});

describe('the lockout across API processes', () => {
  it('is shared through Redis: failures on one process lock the address on another', async () => {
    const databaseName = await createTestDatabase();
    const env = { QUEUE_PREFIX: `pi-test-shared-${process.pid}-${Date.now()}` };
    const [a, b] = await Promise.all([createTestApp({ databaseName, env }), createTestApp({ databaseName, env })]);
    try {
      const email = 'shared@charity.example';
      for (let i = 0; i < 5; i++) {
        await request((i % 2 ? b : a).http).post('/api/admin/auth/login').send({ email, password: 'wrong password!!' }).expect(401);
      }
      await request(a.http).post('/api/admin/auth/login').send({ email, password: 'wrong password!!' }).expect(429);
      await request(b.http).post('/api/admin/auth/login').send({ email, password: 'wrong password!!' }).expect(429);
    } finally {
      await a.close();
      await b.close();
      await dropTestDatabase(databaseName);
    }
  });
});

describe('npm run staff:create', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('reads --email, --name and --role', () => {
    expect(parseStaffCreateArgs(['--email', 'a@charity.example', '--name', 'Ann Lee', '--role', 'admin']))
      .toEqual({ email: 'a@charity.example', name: 'Ann Lee', role: 'admin' });
    expect(() => parseStaffCreateArgs(['--email', 'a@charity.example'])).toThrow(CliError);
    expect(() => parseStaffCreateArgs(['--email', 'a@charity.example', '--name', 'x', '--role', 'admin', '--admin'])).toThrow(CliError);
  });

  it('creates an account that can sign in, with the same rules as the API', async () => {
    const args = { email: 'Cli.User@charity.example', name: 'Cli User', role: 'admin' as const, password: 'cli password 123' };
    const { id } = await createStaffAccount(t.db, args);
    const res = await request(t.http).post('/api/admin/auth/login').send({ email: 'cli.user@charity.example', password: args.password }).expect(200);
    expect(res.body.staff).toEqual({ id, email: 'cli.user@charity.example', name: 'Cli User', role: 'admin' });
    await expect(createStaffAccount(t.db, args)).rejects.toThrow(/already exists/);
    await expect(createStaffAccount(t.db, { ...args, email: 'x@charity.example', password: 'short' })).rejects.toThrow(/password/);
    await expect(createStaffAccount(t.db, { ...args, email: 'y@charity.example', role: 'boss' as never })).rejects.toThrow(/role/);
  });
});
