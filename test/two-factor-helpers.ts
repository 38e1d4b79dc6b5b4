import request from 'supertest';
import { base32Decode, hotp, timeStep } from '../src/auth/totp.js';
import type { TestApp } from './support/app.js';
import { csrfOf, TEST_PASSWORD } from './support/web.js';

/** The code an authenticator app would show for this key, `offset` steps (30 s each) from now. */
export function codeFor(secret: string, offset = 0): string {
  return hotp(base32Decode(secret), timeStep(Date.now()) + offset);
}

/**
 * Waits out the last few seconds of a 30-second step, so a test that uses "this step" and "the next step" does not
 * straddle a boundary between computing a code and the server checking it.
 */
export async function awayFromStepEdge(): Promise<void> {
  const into = Date.now() % 30_000;
  if (into > 25_000) await new Promise((r) => setTimeout(r, 30_000 - into + 250));
}

/**
 * Forgets the newest step the account has used, so a test can sign in again within the same 30 s instead of
 * waiting for a new code (replay protection itself is tested on its own).
 */
export async function forgetUsedSteps(t: TestApp, staffId: string): Promise<void> {
  await t.db.query(`UPDATE staff SET two_factor_last_step = NULL WHERE id = $1`, [staffId]);
}

/** Turns 2FA on by API for an account with a bearer token: the key, the recovery codes and the new full token. */
export async function enrolByApi(t: TestApp, auth: string): Promise<{ secret: string; recoveryCodes: string[]; auth: string }> {
  await awayFromStepEdge();
  const setup = await request(t.http).post('/api/admin/auth/2fa/setup').set('Authorization', auth).expect(200);
  const enabled = await request(t.http).post('/api/admin/auth/2fa/enable').set('Authorization', auth)
    .send({ code: codeFor(setup.body.secret) }).expect(200);
  return { secret: setup.body.secret, recoveryCodes: enabled.body.recoveryCodes, auth: `Bearer ${enabled.body.accessToken}` };
}

/** Signs in on the web with the password and then a code: the agent on the page it landed on, and its CSRF token. */
export async function webSignInWithCode(t: TestApp, email: string, code: string, next?: string) {
  const agent = request.agent(t.http);
  const form = await agent.get(`/admin/login${next ? `?next=${encodeURIComponent(next)}` : ''}`).expect(200);
  const first = await agent.post('/admin/login').type('form')
    .send({ _csrf: csrfOf(form.text), email, password: TEST_PASSWORD, ...(next ? { next } : {}) }).expect(303);
  if (first.headers.location !== '/admin/login/security-code') throw new Error(`Password step went to ${first.headers.location}`);
  const step = await agent.get('/admin/login/security-code').expect(200);
  const res = await agent.post('/admin/login/security-code').type('form').send({ _csrf: csrfOf(step.text), code });
  if (res.status !== 303) throw new Error(`Code step answered ${res.status}: ${res.text.slice(0, 300)}`);
  const [session] = await t.db.query(
    `SELECT ss.csrf_token FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
      WHERE lower(s.email) = lower($1) ORDER BY ss.created_at DESC LIMIT 1`, [email]);
  return { agent, csrf: session.csrf_token as string, location: res.headers.location as string };
}

/** Every audit entry (action and changes), to look for codes in. */
export async function auditEntries(t: TestApp): Promise<{ action: string; changes: unknown }[]> {
  return t.db.query(`SELECT action, changes FROM audit_events ORDER BY created_at`);
}
