import request from 'supertest';
import { TwoFactorService } from '../src/auth/two-factor.service.js';
import { loadConfig } from '../src/config/app-config.js';
import { clearRedisPrefix, createTestApp, TestApp } from './support/app.js';
import { dropTestDatabase } from './support/database.js';
import { createStaff } from './support/staff.js';
import { createStaffWithPassword, csrfOf, TEST_PASSWORD, webSignIn } from './support/web.js';
import { auditEntries, awayFromStepEdge, codeFor, enrolByApi, forgetUsedSteps, webSignInWithCode } from './two-factor-helpers.js';

/** Every string and number inside an audit entry's changes. */
const leaves = (v: unknown): string[] =>
  v === null || v === undefined ? [] : typeof v === 'object' ? Object.values(v as object).flatMap(leaves) : [String(v)];

const login = (t: TestApp, body: Record<string, unknown>) => request(t.http).post('/api/admin/auth/login').send(body);

/** The key as the set-up page shows it ("ABCD EFGH …"), without the spaces. */
function keyOnPage(html: string): string {
  const m = /<code class="two-factor__key" id="setup-key">([A-Z2-7 ]+)<\/code>/.exec(html);
  if (!m) throw new Error('No setup key on the page');
  return m[1].replace(/ /g, '');
}

function recoveryCodesOnPage(html: string): string[] {
  return [...html.matchAll(/<li><code>([a-z0-9]{5}-[a-z0-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
}

describe('two-factor sign-in by API', () => {
  let t: TestApp;
  const usedCodes: string[] = [];
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('enrols: a key and otpauth URL, effective only after a right first code; 10 recovery codes once', async () => {
    const s = await createStaffWithPassword(t);
    const status = await request(t.http).get('/api/admin/auth/2fa').set('Authorization', s.auth).expect(200);
    expect(status.body).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0, secretReadable: true, required: false });
    const setup = await request(t.http).post('/api/admin/auth/2fa/setup').set('Authorization', s.auth).expect(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauthUrl).toBe(`otpauth://totp/Policy%20Inbox:${s.email}?secret=${setup.body.secret}&issuer=Policy%20Inbox`);
    // Not on yet: the password alone still signs in.
    await login(t, { email: s.email, password: TEST_PASSWORD }).expect(200);
    // The stored key is encrypted: neither the base32 nor anything like it is in the row.
    const [row] = await t.db.query(`SELECT two_factor_pending_secret AS p, two_factor_secret AS s FROM staff WHERE id = $1`, [s.id]);
    expect(row.s).toBeNull();
    expect(row.p).toMatch(/^v1\./);
    expect(row.p).not.toContain(setup.body.secret);

    await request(t.http).post('/api/admin/auth/2fa/enable').set('Authorization', s.auth).send({ code: 'abcdef' }).expect(400);
    const wrong = await request(t.http).post('/api/admin/auth/2fa/enable').set('Authorization', s.auth)
      .send({ code: codeFor(setup.body.secret, 5) }).expect(400);
    expect(wrong.body.errors).toEqual([{ field: 'code', message: 'code is not right' }]);
    await awayFromStepEdge();
    const code = codeFor(setup.body.secret);
    usedCodes.push(code);
    const enabled = await request(t.http).post('/api/admin/auth/2fa/enable').set('Authorization', s.auth).send({ code }).expect(200);
    expect(enabled.body.recoveryCodes).toHaveLength(10);
    for (const c of enabled.body.recoveryCodes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect(new Set(enabled.body.recoveryCodes).size).toBe(10);
    usedCodes.push(...enabled.body.recoveryCodes);
    // Turning it on ended the earlier token; the answer carries a new one.
    await request(t.http).get('/api/admin/auth/2fa').set('Authorization', s.auth).expect(401);
    const after = await request(t.http).get('/api/admin/auth/2fa').set('Authorization', `Bearer ${enabled.body.accessToken}`).expect(200);
    expect(after.body).toMatchObject({ enabled: true, recoveryCodesLeft: 10, secretReadable: true });
    // Stored as argon2id hashes, never as the codes.
    const hashes: { code_hash: string }[] = await t.db.query(`SELECT code_hash FROM staff_recovery_codes WHERE staff_id = $1`, [s.id]);
    expect(hashes).toHaveLength(10);
    for (const h of hashes) expect(h.code_hash).toMatch(/^\$argon2id\$/);
    // Set-up again while it is on: 409.
    await request(t.http).post('/api/admin/auth/2fa/setup').set('Authorization', `Bearer ${enabled.body.accessToken}`).expect(409);
  });

  it('signs in: 401 { twoFactorRequired } without a code or with a wrong one, 200 with a right one', async () => {
    const s = await createStaffWithPassword(t);
    const { secret } = await enrolByApi(t, s.auth);
    const without = await login(t, { email: s.email, password: TEST_PASSWORD }).expect(401);
    expect(without.body).toEqual({ statusCode: 401, message: expect.any(String), twoFactorRequired: true });
    const wrong = await login(t, { email: s.email, password: TEST_PASSWORD, code: codeFor(secret, 4) }).expect(401);
    expect(wrong.body).toEqual({ statusCode: 401, message: 'The security code is not right', twoFactorRequired: true });
    // A wrong password with a code is the plain 401: the code is not even looked at.
    const badPassword = await login(t, { email: s.email, password: 'not the password', code: codeFor(secret, 1) }).expect(401);
    expect(badPassword.body).toEqual({ statusCode: 401, message: 'The email address or password is not right' });
    const ok = await login(t, { email: s.email, password: TEST_PASSWORD, code: codeFor(secret, 1) }).expect(200);
    expect(ok.body).toEqual({ accessToken: expect.any(String), expiresIn: 900, staff: { id: s.id, email: s.email, name: s.name, role: 'officer' } });
    await request(t.http).get('/api/admin/canned-replies').set('Authorization', `Bearer ${ok.body.accessToken}`).expect(200);
  });

  it('validates code: 6 digits or a recovery code, else 400', async () => {
    const s = await createStaffWithPassword(t);
    for (const code of ['12345', '1234567', 'abc', 12345, '12345a', 'abcde-fghij-k', '']) {
      const res = await login(t, { email: s.email, password: TEST_PASSWORD, code });
      expect(`${JSON.stringify(code)} -> ${res.status}`).toBe(`${JSON.stringify(code)} -> 400`);
    }
    await login(t, { email: s.email, password: TEST_PASSWORD, code: 'abcde-23456' }).expect(200); // no 2FA: the code is not needed
  });

  it('accepts a code once: the same code twice is refused, and so is an older window after a newer one', async () => {
    const s = await createStaffWithPassword(t);
    const { secret } = await enrolByApi(t, s.auth);
    // Enabling used this window's code: it does not sign in again.
    const same = await login(t, { email: s.email, password: TEST_PASSWORD, code: codeFor(secret) }).expect(401);
    expect(same.body.twoFactorRequired).toBe(true);
    expect(same.body.message).toMatch(/already been used/);
    const next = codeFor(secret, 1);
    await login(t, { email: s.email, password: TEST_PASSWORD, code: next }).expect(200);
    await login(t, { email: s.email, password: TEST_PASSWORD, code: next }).expect(401);
    // The previous window is inside the ±1 drift, but a later step has been used: refused.
    await login(t, { email: s.email, password: TEST_PASSWORD, code: codeFor(secret, 0) }).expect(401);
    const refused = await t.db.query(
      `SELECT changes FROM audit_events WHERE action = 'auth.2fa-code-refused' AND actor_id = $1 ORDER BY created_at`, [s.id]);
    expect(refused.map((r: { changes: { reason: { to: string } } }) => r.changes.reason.to)).toEqual(['replayed', 'replayed', 'replayed']);
    usedCodes.push(next);
  });

  it('refuses two requests with the same fresh code at once: only one signs in', async () => {
    const s = await createStaffWithPassword(t);
    const { secret } = await enrolByApi(t, s.auth);
    const code = codeFor(secret, 1);
    const answers = await Promise.all([1, 2, 3].map(() => login(t, { email: s.email, password: TEST_PASSWORD, code })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401]);
  });

  it('takes each recovery code once, and says how many are left', async () => {
    const s = await createStaffWithPassword(t);
    const { recoveryCodes, auth } = await enrolByApi(t, s.auth);
    const [first, second] = recoveryCodes;
    await login(t, { email: s.email, password: TEST_PASSWORD, code: first }).expect(200);
    const again = await login(t, { email: s.email, password: TEST_PASSWORD, code: first }).expect(401);
    expect(again.body.twoFactorRequired).toBe(true);
    // Upper case and without the hyphen, as people type them.
    await login(t, { email: s.email, password: TEST_PASSWORD, code: second.replace('-', '').toUpperCase() }).expect(200);
    const status = await request(t.http).get('/api/admin/auth/2fa').set('Authorization', auth).expect(200);
    expect(status.body.recoveryCodesLeft).toBe(8);
    const used = await t.db.query(`SELECT changes FROM audit_events WHERE action = 'auth.recovery-code-used' AND actor_id = $1 ORDER BY created_at`, [s.id]);
    expect(used.map((u: { changes: { recoveryCodesLeft: { to: number } } }) => u.changes.recoveryCodesLeft.to)).toEqual([9, 8]);
    const signedIn = await t.db.query(`SELECT changes FROM audit_events WHERE action = 'auth.signed-in' AND actor_id = $1 ORDER BY created_at`, [s.id]);
    expect(signedIn.map((r: { changes: { secondFactor?: { to: string } } }) => r.changes.secondFactor?.to)).toEqual(['recovery-code', 'recovery-code']);
    usedCodes.push(...recoveryCodes);
  });

  it('makes new recovery codes after a current code, and the old ones stop working', async () => {
    const s = await createStaffWithPassword(t);
    const { secret, recoveryCodes, auth } = await enrolByApi(t, s.auth);
    await request(t.http).post('/api/admin/auth/2fa/recovery-codes').set('Authorization', auth).send({}).expect(400);
    await request(t.http).post('/api/admin/auth/2fa/recovery-codes').set('Authorization', auth).send({ code: codeFor(secret, 3) }).expect(400);
    const fresh = await request(t.http).post('/api/admin/auth/2fa/recovery-codes').set('Authorization', auth)
      .send({ code: codeFor(secret, 1) }).expect(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    expect(fresh.body.recoveryCodes.some((c: string) => recoveryCodes.includes(c))).toBe(false);
    await login(t, { email: s.email, password: TEST_PASSWORD, code: recoveryCodes[0] }).expect(401);
    await login(t, { email: s.email, password: TEST_PASSWORD, code: fresh.body.recoveryCodes[0] }).expect(200);
    const [entry] = await t.db.query(`SELECT changes FROM audit_events WHERE action = 'staff.2fa-recovery-codes-replaced' AND actor_id = $1`, [s.id]);
    expect(entry.changes.recoveryCodesLeft).toEqual({ from: 10, to: 10 });
    usedCodes.push(...recoveryCodes, ...fresh.body.recoveryCodes);
  });

  it('locks the address after 5 wrong codes: 429 with Retry-After, even with the right code', async () => {
    const s = await createStaffWithPassword(t);
    const { secret } = await enrolByApi(t, s.auth);
    for (let i = 0; i < 5; i++) {
      const res = await login(t, { email: s.email, password: TEST_PASSWORD, code: String(100000 + i) });
      // (A random code could be right one time in 333,333; these fixed ones are checked not to be.)
      expect([codeFor(secret, -1), codeFor(secret, 0), codeFor(secret, 1)]).not.toContain(String(100000 + i));
      expect(res.status).toBe(401);
    }
    const locked = await login(t, { email: s.email, password: TEST_PASSWORD, code: codeFor(secret, 1) }).expect(429);
    expect(locked.body).toEqual({ statusCode: 429, message: expect.any(String) });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(14 * 60);
    // Wrong codes and wrong passwords share the count: 3 passwords + 2 codes lock too.
    const p = await createStaffWithPassword(t);
    const other = await enrolByApi(t, p.auth);
    for (let i = 0; i < 3; i++) await login(t, { email: p.email, password: 'wrong password!!' }).expect(401);
    for (let i = 0; i < 2; i++) await login(t, { email: p.email, password: TEST_PASSWORD, code: codeFor(other.secret, 7) }).expect(401);
    await login(t, { email: p.email, password: TEST_PASSWORD, code: codeFor(other.secret, 1) }).expect(429);
  });

  it('turns off only with a fresh code', async () => {
    const s = await createStaffWithPassword(t);
    const { secret, auth } = await enrolByApi(t, s.auth);
    await request(t.http).post('/api/admin/auth/2fa/disable').set('Authorization', auth).send({ code: 'nope' }).expect(400);
    // The code that turned it on is used up.
    const used = await request(t.http).post('/api/admin/auth/2fa/disable').set('Authorization', auth).send({ code: codeFor(secret) }).expect(400);
    expect(used.body.errors).toEqual([{ field: 'code', message: 'code is not right' }]);
    await login(t, { email: s.email, password: TEST_PASSWORD }).expect(401);
    const code = codeFor(secret, 1);
    await request(t.http).post('/api/admin/auth/2fa/disable').set('Authorization', auth).send({ code }).expect(204);
    usedCodes.push(code);
    await login(t, { email: s.email, password: TEST_PASSWORD }).expect(200);
    const status = await request(t.http).get('/api/admin/auth/2fa').set('Authorization', auth).expect(200);
    expect(status.body).toMatchObject({ enabled: false, recoveryCodesLeft: 0 });
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM staff_recovery_codes WHERE staff_id = $1`, [s.id]);
    expect(n).toBe(0);
    await request(t.http).post('/api/admin/auth/2fa/disable').set('Authorization', auth).send({ code: codeFor(secret, 1) }).expect(409);
    const [entry] = await t.db.query(`SELECT actor_id FROM audit_events WHERE action = 'staff.2fa-disabled'`);
    expect(entry.actor_id).toBe(s.id);
  });

  it('lets an admin reset another account: its sessions end, its tokens stop, audited', async () => {
    const admin = await createStaffWithPassword(t, 'admin');
    const s = await createStaffWithPassword(t);
    const { secret, auth } = await enrolByApi(t, s.auth);
    const web = await webSignInWithCode(t, s.email, codeFor(secret, 1));
    await web.agent.get('/admin/inbox').expect(200);
    const list = await request(t.http).get('/api/admin/staff').set('Authorization', admin.auth).expect(200);
    expect(list.body.find((m: { id: string }) => m.id === s.id).twoFactor).toBe(true);

    await request(t.http).post(`/api/admin/staff/${s.id}/two-factor/reset`).set('Authorization', auth).expect(403);
    await request(t.http).post(`/api/admin/staff/${admin.id}/two-factor/reset`).set('Authorization', admin.auth).expect(422);
    const res = await request(t.http).post(`/api/admin/staff/${s.id}/two-factor/reset`).set('Authorization', admin.auth).expect(200);
    expect(res.body).toMatchObject({ id: s.id, twoFactor: false });
    await web.agent.get('/admin/inbox').expect(303);
    await request(t.http).get('/api/admin/canned-replies').set('Authorization', auth).expect(401);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1`, [s.id]);
    expect(n).toBe(0);
    // Password alone again, until they set it up anew.
    await login(t, { email: s.email, password: TEST_PASSWORD }).expect(200);
    await request(t.http).post(`/api/admin/staff/${s.id}/two-factor/reset`).set('Authorization', admin.auth).expect(422);
    const [entry] = await t.db.query(`SELECT actor_id, changes FROM audit_events WHERE action = 'staff.2fa-reset'`);
    expect(entry.actor_id).toBe(admin.id);
    expect(entry.changes.id).toEqual({ from: s.id, to: s.id });
  });

  it('refuses password-only HTTP Basic on the queue dashboard for an account with 2FA', async () => {
    const admin = await createStaffWithPassword(t, 'admin');
    await enrolByApi(t, admin.auth);
    const basic = `Basic ${Buffer.from(`${admin.email}:${TEST_PASSWORD}`).toString('base64')}`;
    await request(t.http).get('/admin/queues').set('Authorization', basic).expect(401);
  });

  it('documents it in the OpenAPI description: code on login, the 2FA routes behind the bearer token', async () => {
    const { body } = await request(t.http).get('/api/docs-json').expect(200);
    expect(body.components.schemas.LoginDto.properties.code).toMatchObject({ type: 'string' });
    expect(body.components.schemas.LoginDto.required).toEqual(['email', 'password']);
    expect(body.paths['/api/admin/auth/login'].post.responses['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/TwoFactorRequiredBody');
    for (const [path, method] of [['/api/admin/auth/2fa', 'get'], ['/api/admin/auth/2fa/setup', 'post'], ['/api/admin/auth/2fa/enable', 'post'],
      ['/api/admin/auth/2fa/recovery-codes', 'post'], ['/api/admin/auth/2fa/disable', 'post'], ['/api/admin/staff/{id}/two-factor/reset', 'post']]) {
      expect(body.paths[path]?.[method]?.security).toEqual([{ bearer: [] }]);
    }
    expect(body.components.schemas.StaffAccountView.properties.twoFactor).toBeDefined();
  });

  it('records 2FA events in the audit log and never a code', async () => {
    const entries = await auditEntries(t);
    const actions = new Set(entries.map((e) => e.action));
    for (const action of ['staff.2fa-enabled', 'staff.2fa-disabled', 'staff.2fa-reset', 'staff.2fa-recovery-codes-replaced', 'auth.recovery-code-used', 'auth.2fa-code-refused']) {
      expect(actions).toContain(action);
    }
    expect(usedCodes.length).toBeGreaterThan(30);
    const values = entries.flatMap((e) => leaves(e.changes));
    const text = JSON.stringify(entries);
    for (const code of usedCodes) {
      expect(values).not.toContain(code);
      expect(values).not.toContain(code.replace('-', ''));
      // Recovery codes have letters: not even inside another value.
      if (code.includes('-')) expect(text).not.toContain(code.replace('-', ''));
    }
    // What a refused code records: why and where, nothing else.
    const refused = entries.find((e) => e.action === 'auth.2fa-code-refused')!;
    expect(Object.keys(refused.changes as object).sort()).toEqual(['reason', 'where']);
  });
});

describe('two-factor sign-in on the web', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('enrols from My account: QR code made here, the key as text, on only after a right code, recovery codes once', async () => {
    const s = await createStaffWithPassword(t);
    const { agent, csrf } = await webSignIn(t, s.email);
    const account = await agent.get('/admin/account').expect(200);
    expect(account.text).toContain('<h2 id="two-factor">Two-factor sign-in</h2>');
    expect(account.text).toContain('href="/admin/account/two-factor"');
    expect(account.text).toContain('Set up two-factor sign-in');
    const page = await agent.get('/admin/account/two-factor').expect(200);
    expect(page.text).toContain('<title>Set up two-factor sign-in – Policy Inbox</title>');
    expect(page.text).toMatch(/<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="QR code for adding the Policy Inbox[^"]*"/);
    expect(page.text).toMatch(/autocomplete="one-time-code"/);
    expect(page.text).toMatch(/inputmode="numeric"/);
    const key = keyOnPage(page.text);
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    // The QR code is the otpauth URL of the same key.
    const svg = Buffer.from(/data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(page.text)![1], 'base64').toString();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const expected = await t.app.get(TwoFactorService).qrCodeSvg(`otpauth://totp/Policy%20Inbox:${s.email}?secret=${key}&issuer=Policy%20Inbox`);
    expect(svg).toBe(expected);
    // A reload shows the same key (it is pending until confirmed).
    expect(keyOnPage((await agent.get('/admin/account/two-factor').expect(200)).text)).toBe(key);

    const empty = await agent.post('/admin/account/two-factor').type('form').send({ _csrf: csrf, code: '' }).expect(400);
    expect(empty.text).toContain('There is a problem');
    expect(empty.text).toContain('Enter the 6-digit security code from your authenticator app');
    const wrong = await agent.post('/admin/account/two-factor').type('form').send({ _csrf: csrf, code: codeFor(key, 5) }).expect(400);
    expect(wrong.text).toContain('The security code is not right');
    expect(keyOnPage(wrong.text)).toBe(key);
    await agent.post('/admin/account/two-factor').type('form').send({ code: codeFor(key) }).expect(403); // no CSRF token

    await awayFromStepEdge();
    const done = await agent.post('/admin/account/two-factor').type('form').send({ _csrf: csrf, code: codeFor(key).replace(/(\d{3})/, '$1 ') }).expect(200);
    expect(done.headers['cache-control']).toBe('no-store');
    expect(done.text).toContain('Two-factor sign-in is on');
    expect(done.text).toContain('shown only this once');
    const codes = recoveryCodesOnPage(done.text);
    expect(codes).toHaveLength(10);
    // The browser got a new session (turning it on ended the others); its CSRF token is on the page.
    const cookie = String(done.headers['set-cookie']);
    expect(cookie).toMatch(/pi_session=[A-Za-z0-9_-]{43}/);
    const again = await agent.get('/admin/account').expect(200);
    expect(again.text).toMatch(/On<\/strong> since/);
    expect(again.text).toContain('10 of 10');
    expect(again.text).not.toContain('two-factor__key');
    // The recovery codes are on no page again.
    for (const c of codes) expect(again.text).not.toContain(c);
    expect((await agent.get('/admin/account/two-factor').expect(303)).headers.location).toBe('/admin/account');
  });

  it('asks for the security code after the right password, carrying next through; a recovery code works once', async () => {
    const s = await createStaffWithPassword(t);
    const { secret, recoveryCodes } = await enrolByApi(t, s.auth);
    const agent = request.agent(t.http);
    const form = await agent.get('/admin/login?next=%2Fadmin%2Faccount').expect(200);
    const first = await agent.post('/admin/login').type('form')
      .send({ _csrf: csrfOf(form.text), email: s.email, password: TEST_PASSWORD, next: '/admin/account' }).expect(303);
    expect(first.headers.location).toBe('/admin/login/security-code');
    expect(String(first.headers['set-cookie'])).toMatch(/pi_sign_in=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/admin\/login; Expires=[^;]+; HttpOnly; SameSite=Lax/);
    expect(String(first.headers['set-cookie'])).not.toContain('pi_session');
    // No session yet: the password alone opens nothing.
    await agent.get('/admin/inbox').expect(303);

    const step = await agent.get('/admin/login/security-code').expect(200);
    expect(step.text).toContain('<title>Security code – Policy Inbox</title>');
    expect(step.text).toMatch(/<label class="label" for="code">Security code<\/label>/);
    expect(step.text).toContain('a recovery code also works');
    expect(step.text).toMatch(/<input[^>]+autocomplete="one-time-code"[^>]+inputmode="numeric"/);
    expect(step.text).toMatch(/<button type="submit" class="button">Continue<\/button>/);
    const csrf = csrfOf(step.text);

    const blank = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: '' }).expect(400);
    expect(blank.text).toContain('Enter the security code');
    const junk = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: 'hello' }).expect(400);
    expect(junk.text).toContain('or a recovery code like abcde-23456');
    const wrong = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: codeFor(secret, 6) }).expect(401);
    expect(wrong.text).toContain('The security code is not right');
    expect(wrong.text).toContain('<title>Error: Security code – Policy Inbox</title>');
    await agent.post('/admin/login/security-code').type('form').send({ code: codeFor(secret, 1) }).expect(403); // no CSRF token

    const ok = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: codeFor(secret, 1) }).expect(303);
    expect(ok.headers.location).toBe('/admin/account');
    await agent.get('/admin/account').expect(200);
    // The challenge is gone: the step cannot be used again.
    expect((await agent.get('/admin/login/security-code').expect(303)).headers.location).toBe('/admin/login');

    const withRecovery = request.agent(t.http);
    const f2 = await withRecovery.get('/admin/login').expect(200);
    await withRecovery.post('/admin/login').type('form').send({ _csrf: csrfOf(f2.text), email: s.email, password: TEST_PASSWORD }).expect(303);
    const s2 = await withRecovery.get('/admin/login/security-code').expect(200);
    const used = await withRecovery.post('/admin/login/security-code').type('form').send({ _csrf: csrfOf(s2.text), code: recoveryCodes[0] }).expect(303);
    expect(used.headers.location).toBe('/admin/inbox');
    const inbox = await withRecovery.get('/admin/inbox').expect(200);
    expect(inbox.text).toContain('You signed in with a recovery code. You have 9 recovery codes left');

    const third = request.agent(t.http);
    const f3 = await third.get('/admin/login').expect(200);
    await third.post('/admin/login').type('form').send({ _csrf: csrfOf(f3.text), email: s.email, password: TEST_PASSWORD }).expect(303);
    const s3 = await third.get('/admin/login/security-code').expect(200);
    await third.post('/admin/login/security-code').type('form').send({ _csrf: csrfOf(s3.text), code: recoveryCodes[0] }).expect(401);
  });

  it('cannot skip the password: no challenge, a made-up one, or an expired one signs nobody in', async () => {
    const s = await createStaffWithPassword(t);
    const { secret } = await enrolByApi(t, s.auth);
    const agent = request.agent(t.http);
    const form = await agent.get('/admin/login').expect(200);
    const csrf = csrfOf(form.text);
    expect((await agent.get('/admin/login/security-code').expect(303)).headers.location).toBe('/admin/login');
    const none = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: codeFor(secret, 1) }).expect(401);
    expect(none.text).toContain('The time to enter the security code ran out. Sign in again.');
    // A made-up challenge id, sent with this browser's own CSRF cookies.
    const cookies = ([] as string[]).concat(form.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    const madeUp = await request(t.http).post('/admin/login/security-code').set('Cookie', [...cookies, `pi_sign_in=${'A'.repeat(43)}`].join('; '))
      .type('form').send({ _csrf: csrf, code: codeFor(secret, 1) }).expect(401);
    expect(madeUp.text).toContain('ran out');
    // A real challenge that has expired.
    await agent.post('/admin/login').type('form').send({ _csrf: csrf, email: s.email, password: TEST_PASSWORD }).expect(303);
    await t.db.query(`UPDATE staff_sign_in_challenges SET expires_at = now() - interval '1 second' WHERE staff_id = $1`, [s.id]);
    const step = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: codeFor(secret, 1) }).expect(401);
    expect(step.text).toContain('ran out');
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1`, [s.id]);
    expect(n).toBe(0);
    // And one whose password has changed since (token_version) is dead too.
    await agent.post('/admin/login').type('form').send({ _csrf: csrf, email: s.email, password: TEST_PASSWORD }).expect(303);
    await t.db.query(`UPDATE staff SET token_version = token_version + 1 WHERE id = $1`, [s.id]);
    await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: codeFor(secret, 1) }).expect(401);
  });

  it('locks the address after 5 wrong codes on the code step: 429 saying how long to wait', async () => {
    const s = await createStaffWithPassword(t);
    const { secret } = await enrolByApi(t, s.auth);
    const agent = request.agent(t.http);
    const form = await agent.get('/admin/login').expect(200);
    await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), email: s.email, password: TEST_PASSWORD }).expect(303);
    const step = await agent.get('/admin/login/security-code').expect(200);
    const csrf = csrfOf(step.text);
    const right = [codeFor(secret, -1), codeFor(secret, 0), codeFor(secret, 1)];
    const wrongCodes = ['111111', '222222', '333333', '444444', '555555', '666666', '777777'].filter((c) => !right.includes(c)).slice(0, 5);
    for (const code of wrongCodes) await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code }).expect(401);
    const locked = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrf, code: codeFor(secret, 1) }).expect(429);
    expect(locked.text).toMatch(/too many failed attempts to sign in with this email address\. Wait 15 minutes/);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(14 * 60);
    // The password step is locked as well.
    const again = await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), email: s.email, password: TEST_PASSWORD }).expect(429);
    expect(again.text).toContain('Wait 15 minutes');
    const refused = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.2fa-code-refused' AND actor_id = $1`, [s.id]);
    expect(refused[0].n).toBe(5);
  });

  it('makes new recovery codes and turns off from My account, each only with a right, fresh code', async () => {
    const s = await createStaffWithPassword(t);
    const { secret } = await enrolByApi(t, s.auth);
    const { agent, csrf } = await webSignInWithCode(t, s.email, codeFor(secret, 1));
    const account = await agent.get('/admin/account').expect(200);
    expect(account.text).toContain('Make new recovery codes');
    expect(account.text).toContain('Turn off two-factor sign-in');

    // The code that signed in is used up: refused for turning off.
    const stale = await agent.post('/admin/account/two-factor/disable').type('form').send({ _csrf: csrf, code: codeFor(secret, 1) }).expect(400);
    expect(stale.text).toContain('This security code has already been used');
    expect(stale.text).toContain('href="#disable-code"');
    const blank = await agent.post('/admin/account/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: '' }).expect(400);
    expect(blank.text).toContain('href="#recovery-code"');

    await forgetUsedSteps(t, s.id);
    const fresh = await agent.post('/admin/account/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: codeFor(secret, 0) }).expect(200);
    expect(recoveryCodesOnPage(fresh.text)).toHaveLength(10);
    expect(fresh.text).toContain('Your earlier recovery codes no longer work');

    const off = await agent.post('/admin/account/two-factor/disable').type('form').send({ _csrf: csrf, code: recoveryCodesOnPage(fresh.text)[0] }).expect(303);
    expect(off.headers.location).toBe('/admin/account');
    const after = await agent.get('/admin/account').expect(200);
    expect(after.text).toContain('Two-factor sign-in is off. Signing in now needs only your password.');
    expect(after.text).toContain('Set up two-factor sign-in');
  });

  it('lets an admin reset it from Staff, with a confirmation; the person is signed out everywhere', async () => {
    const admin = await createStaffWithPassword(t, 'admin', { name: 'Ada Admin' });
    const s = await createStaffWithPassword(t, 'officer', { name: 'Olu Officer' });
    const { secret } = await enrolByApi(t, s.auth);
    const officerWeb = await webSignInWithCode(t, s.email, codeFor(secret, 1));
    const adminWeb = await webSignIn(t, admin.email);
    const staff = await adminWeb.agent.get('/admin/staff').expect(200);
    expect(staff.text).toContain(`<form method="get" action="/admin/staff/${s.id}/two-factor/reset" class="inline-form">`);
    expect(staff.text).toContain('Reset two-factor sign-in<span class="visually-hidden"> of Olu Officer</span>');
    expect(staff.text).not.toContain(`/admin/staff/${admin.id}/two-factor/reset`);
    const confirm = await adminWeb.agent.get(`/admin/staff/${s.id}/two-factor/reset`).expect(200);
    expect(confirm.text).toContain('Reset two-factor sign-in of Olu Officer?');
    expect(confirm.text).toContain('Yes, reset two-factor sign-in');
    await adminWeb.agent.post(`/admin/staff/${s.id}/two-factor/reset`).type('form').send({}).expect(403); // no CSRF token
    const done = await adminWeb.agent.post(`/admin/staff/${s.id}/two-factor/reset`).type('form').send({ _csrf: adminWeb.csrf }).expect(303);
    expect(done.headers.location).toBe('/admin/staff');
    const list = await adminWeb.agent.get('/admin/staff').expect(200);
    expect(list.text).toContain('Two-factor sign-in of Olu Officer has been reset and they have been signed out everywhere');
    await officerWeb.agent.get('/admin/inbox').expect(303);
    // Nothing left to reset: the confirmation page is not offered, and a post says why.
    expect((await adminWeb.agent.get(`/admin/staff/${s.id}/two-factor/reset`).expect(303)).headers.location).toBe('/admin/staff');
    const nothing = await adminWeb.agent.post(`/admin/staff/${s.id}/two-factor/reset`).type('form').send({ _csrf: adminWeb.csrf }).expect(422);
    expect(nothing.text).toContain('does not have two-factor sign-in turned on');
    const [entry] = await t.db.query(`SELECT actor_id FROM audit_events WHERE action = 'staff.2fa-reset'`);
    expect(entry.actor_id).toBe(admin.id);
  });

  it('keeps working when APP_SECRET changes: the app codes cannot be checked (no 500), recovery codes and a reset do', async () => {
    const first = await createTestApp({ env: { APP_SECRET: 'the-first-secret-of-this-install-0123456789' } });
    let s: Awaited<ReturnType<typeof createStaffWithPassword>>;
    let enrolled: Awaited<ReturnType<typeof enrolByApi>>;
    try {
      s = await createStaffWithPassword(first);
      enrolled = await enrolByApi(first, s.auth);
    } finally {
      await first.app.close();
      await clearRedisPrefix(first.config.redisUrl, first.config.queuePrefix);
    }
    const second = await createTestApp({ databaseName: first.databaseName, env: { APP_SECRET: 'a-different-secret-after-the-change-987654321' } });
    try {
      const res = await login(second, { email: s.email, password: TEST_PASSWORD, code: codeFor(enrolled.secret, 1) }).expect(401);
      expect(res.body).toEqual({ statusCode: 401, message: expect.stringMatching(/cannot be checked.*recovery code/), twoFactorRequired: true });
      // Not a guess: it does not count towards the lock-out.
      for (let i = 0; i < 5; i++) await login(second, { email: s.email, password: TEST_PASSWORD, code: codeFor(enrolled.secret, 1) }).expect(401);
      const ok = await login(second, { email: s.email, password: TEST_PASSWORD, code: enrolled.recoveryCodes[0] }).expect(200);
      const auth = `Bearer ${ok.body.accessToken}`;
      const status = await request(second.http).get('/api/admin/auth/2fa').set('Authorization', auth).expect(200);
      expect(status.body).toMatchObject({ enabled: true, secretReadable: false, recoveryCodesLeft: 9 });
      // On the web: the code step says what to do, and My account warns.
      const web = request.agent(second.http);
      const form = await web.get('/admin/login').expect(200);
      await web.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), email: s.email, password: TEST_PASSWORD }).expect(303);
      const step = await web.get('/admin/login/security-code').expect(200);
      const refused = await web.post('/admin/login/security-code').type('form').send({ _csrf: csrfOf(step.text), code: codeFor(enrolled.secret, 1) }).expect(401);
      expect(refused.text).toContain('Codes from your authenticator app cannot be checked at the moment. Use one of your recovery codes');
      await web.post('/admin/login/security-code').type('form').send({ _csrf: csrfOf(step.text), code: enrolled.recoveryCodes[1] }).expect(303);
      const account = await web.get('/admin/account').expect(200);
      expect(account.text).toContain('Codes from your authenticator app cannot be checked any more');
      // An admin resets it; the person signs in with the password and sets it up again under the new key.
      const admin = await createStaff(second, 'admin');
      await request(second.http).post(`/api/admin/staff/${s.id}/two-factor/reset`).set('Authorization', admin.auth).expect(200);
      const plain = await login(second, { email: s.email, password: TEST_PASSWORD }).expect(200);
      const again = await enrolByApi(second, `Bearer ${plain.body.accessToken}`);
      await login(second, { email: s.email, password: TEST_PASSWORD, code: codeFor(again.secret, 1) }).expect(200);
    } finally {
      await second.close();
      await dropTestDatabase(first.databaseName);
    }
  });
});

describe('REQUIRE_2FA=true', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { REQUIRE_2FA: 'true' } });
  });
  afterAll(async () => t.close());

  it('is validated as true or false (default false)', () => {
    expect(() => loadConfig({ REQUIRE_2FA: 'yes' })).toThrow(/REQUIRE_2FA: must be true or false/);
    expect(loadConfig({}).require2fa).toBe(false);
    expect(loadConfig({ REQUIRE_2FA: 'false' }).require2fa).toBe(false);
    expect(t.config.require2fa).toBe(true);
  });

  it('API: a token issued before enrolment works only for enrolment, until 2FA is on', async () => {
    const s = await createStaffWithPassword(t);
    const res = await login(t, { email: s.email, password: TEST_PASSWORD }).expect(200);
    expect(res.body.twoFactorEnrolmentRequired).toBe(true);
    const limited = `Bearer ${res.body.accessToken}`;
    const [, payload] = res.body.accessToken.split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString()).scope).toBe('2fa-enrolment');
    for (const [method, path] of [['get', '/api/admin/inquiries'], ['get', '/api/admin/canned-replies'], ['get', '/api/admin/stats'], ['post', '/api/admin/auth/2fa/recovery-codes']] as const) {
      const refused = await request(t.http)[method](path).set('Authorization', limited).send({});
      expect(`${path} ${refused.status}`).toBe(`${path} 403`);
      expect(refused.body).toEqual({ statusCode: 403, message: expect.stringContaining('Set up two-factor sign-in first'), twoFactorEnrolmentRequired: true });
    }
    // A token without the claim (e.g. issued before REQUIRE_2FA was set) is limited too, by the account.
    await request(t.http).get('/api/admin/inquiries').set('Authorization', s.auth).expect(403);
    const status = await request(t.http).get('/api/admin/auth/2fa').set('Authorization', limited).expect(200);
    expect(status.body).toMatchObject({ enabled: false, required: true });
    const { auth, secret } = await enrolByApi(t, limited);
    await request(t.http).get('/api/admin/inquiries').set('Authorization', auth).expect(200);
    await request(t.http).get('/api/admin/inquiries').set('Authorization', limited).expect(401);
    // It cannot be turned off.
    const off = await request(t.http).post('/api/admin/auth/2fa/disable').set('Authorization', auth).send({ code: codeFor(secret, 1) }).expect(403);
    expect(off.body.message).toMatch(/required/);
    const full = await login(t, { email: s.email, password: TEST_PASSWORD, code: codeFor(secret, 1) }).expect(200);
    expect(full.body.twoFactorEnrolmentRequired).toBeUndefined();
  });

  it('web: every page sends an account without 2FA to enrolment; after it, the inbox opens', async () => {
    const s = await createStaffWithPassword(t, 'admin');
    const agent = request.agent(t.http);
    const form = await agent.get('/admin/login?next=%2Fadmin%2Fstaff').expect(200);
    const signIn = await agent.post('/admin/login').type('form')
      .send({ _csrf: csrfOf(form.text), email: s.email, password: TEST_PASSWORD, next: '/admin/staff' }).expect(303);
    expect(signIn.headers.location).toBe('/admin/account/two-factor');
    const [session] = await t.db.query(`SELECT csrf_token FROM staff_sessions WHERE staff_id = $1`, [s.id]);
    for (const path of ['/admin/inbox', '/admin', '/admin/account', '/admin/staff', '/admin/audit', '/admin/saved-replies', '/admin/inquiries/POL-7K3M9Q']) {
      const res = await agent.get(path);
      expect(`${path} ${res.status} ${res.headers.location}`).toBe(`${path} 303 ${path === '/admin' ? '/admin/inbox' : '/admin/account/two-factor'}`);
    }
    const post = await agent.post('/admin/account/password').type('form').send({ _csrf: session.csrf_token, currentPassword: TEST_PASSWORD, newPassword: 'another long password', confirmPassword: 'another long password' });
    expect(`${post.status} ${post.headers.location}`).toBe('303 /admin/account/two-factor');
    const setup = await agent.get('/admin/account/two-factor').expect(200);
    expect(setup.text).toContain('The Policy Inbox needs two-factor sign-in for every account');
    expect(setup.text).not.toContain('Cancel and go back to My account');
    const key = keyOnPage(setup.text);
    await awayFromStepEdge();
    const done = await agent.post('/admin/account/two-factor').type('form').send({ _csrf: session.csrf_token, code: codeFor(key) }).expect(200);
    expect(recoveryCodesOnPage(done.text)).toHaveLength(10);
    await agent.get('/admin/inbox').expect(200);
    await agent.get('/admin/staff').expect(200);
    const account = await agent.get('/admin/account').expect(200);
    expect(account.text).not.toContain('Turn off two-factor sign-in</button>');
    expect(account.text).toContain('it cannot be turned off');
    // Turning it on started a new session (the old row stays until it is swept, but no longer opens anything).
    const [fresh] = await t.db.query(`SELECT csrf_token FROM staff_sessions WHERE staff_id = $1 ORDER BY created_at DESC LIMIT 1`, [s.id]);
    expect(fresh.csrf_token).not.toBe(session.csrf_token);
    const off = await agent.post('/admin/account/two-factor/disable').type('form').send({ _csrf: fresh.csrf_token, code: codeFor(key, 1) }).expect(403);
    expect(off.text).toContain('cannot be turned off');
  });

  it('web: signing out still works before enrolment', async () => {
    const s = await createStaffWithPassword(t);
    const { agent, csrf } = await webSignIn(t, s.email);
    const out = await agent.post('/admin/logout').type('form').send({ _csrf: csrf }).expect(303);
    expect(out.headers.location).toBe('/admin/login?signedOut=1');
  });

  it('after an admin reset the account must enrol again at its next sign-in', async () => {
    const admin = await createStaffWithPassword(t, 'admin');
    const adminLimited = (await login(t, { email: admin.email, password: TEST_PASSWORD })).body.accessToken;
    const adminAuth = (await enrolByApi(t, `Bearer ${adminLimited}`)).auth;
    const s = await createStaffWithPassword(t);
    const limited = (await login(t, { email: s.email, password: TEST_PASSWORD })).body.accessToken;
    const { auth } = await enrolByApi(t, `Bearer ${limited}`);
    await request(t.http).get('/api/admin/inquiries').set('Authorization', auth).expect(200);
    await request(t.http).post(`/api/admin/staff/${s.id}/two-factor/reset`).set('Authorization', adminAuth).expect(200);
    await request(t.http).get('/api/admin/inquiries').set('Authorization', auth).expect(401);
    const again = await login(t, { email: s.email, password: TEST_PASSWORD }).expect(200);
    expect(again.body.twoFactorEnrolmentRequired).toBe(true);
    await request(t.http).get('/api/admin/inquiries').set('Authorization', `Bearer ${again.body.accessToken}`).expect(403);
  });
});
