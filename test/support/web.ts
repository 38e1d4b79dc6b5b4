import request from 'supertest';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Role } from '../../src/auth/staff.entity.js';
import type { TestApp } from './app.js';
import { createStaff, TestStaff } from './staff.js';

export const TEST_PASSWORD = 'correct horse battery staple';

/** A staff member with a password (so they can sign in on the web), plus their bearer token for the API. */
export async function createStaffWithPassword(
  t: TestApp, role: Role = 'officer', fields: { email?: string; name?: string } = {},
): Promise<TestStaff & { password: string }> {
  const member = await createStaff(t, role, fields);
  await t.db.query(`UPDATE staff SET password_hash = $2 WHERE id = $1`, [member.id, await hashPassword(TEST_PASSWORD)]);
  return { ...member, password: TEST_PASSWORD };
}

/** The value of the hidden `_csrf` field of a page (the first form that has one). */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('No _csrf field on this page');
  return m[1];
}

/** A supertest agent (it keeps cookies) signed in on the web as `email`; `csrf` is the session's token for posts. */
export async function webSignIn(t: TestApp, email: string, password = TEST_PASSWORD): Promise<{ agent: ReturnType<typeof request.agent>; csrf: string }> {
  const agent = request.agent(t.http);
  const form = await agent.get('/admin/login').expect(200);
  const res = await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), email, password });
  if (res.status !== 303) throw new Error(`Sign-in answered ${res.status}: ${res.text.slice(0, 300)}`);
  // The newest session of this person is the one just started; its token is what every page's forms carry.
  const [session] = await t.db.query(
    `SELECT ss.csrf_token FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
      WHERE lower(s.email) = lower($1) ORDER BY ss.created_at DESC LIMIT 1`, [email]);
  return { agent, csrf: session.csrf_token };
}
