import { randomUUID } from 'node:crypto';
import { TokensService } from '../../src/auth/tokens.service.js';
import type { Role } from '../../src/auth/staff.entity.js';
import type { TestApp } from './app.js';

export interface TestStaff {
  id: string;
  email: string;
  name: string;
  role: Role;
  token: string;
  /** `Bearer <token>`, for `.set('Authorization', …)`. */
  auth: string;
}

/** A staff member written straight to the database, with a token signed by the app (no password needed). */
export async function createStaff(t: TestApp, role: Role = 'officer', fields: { email?: string; name?: string } = {}): Promise<TestStaff> {
  const id = randomUUID();
  const email = fields.email ?? `${role}.${id.slice(0, 8)}@charity.example`;
  const name = fields.name ?? `Test ${role}`;
  await t.db.query(`INSERT INTO staff (id, email, name, role) VALUES ($1, $2, $3, $4)`, [id, email, name, role]);
  const token = await t.app.get(TokensService).sign(id, 1);
  return { id, email, name, role, token, auth: `Bearer ${token}` };
}
