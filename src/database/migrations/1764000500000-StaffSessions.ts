import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Server-side sessions of the web inbox (SPEC §8). The cookie carries a random id; the table keeps only its
 * sha256, so a copy of the table signs nobody in. A session is valid while its token_version matches the
 * account's (a password change or deactivation bumps that), 2 hours after last use and 12 hours after sign-in.
 */
export class StaffSessions1764000500000 implements MigrationInterface {
  name = 'StaffSessions1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE staff_sessions (
        id_hash text PRIMARY KEY,
        staff_id uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
        token_version integer NOT NULL,
        csrf_token text NOT NULL,
        -- A notice for the next page drawn (post/redirect/get), so nothing personal travels in a URL.
        flash jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE staff_sessions`);
  }
}
