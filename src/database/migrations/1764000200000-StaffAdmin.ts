import { MigrationInterface, QueryRunner } from 'typeorm';

/** Invitations to set a first password (only the token's sha256 is stored) and the shared canned replies. */
export class StaffAdmin1764000200000 implements MigrationInterface {
  name = 'StaffAdmin1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE staff_invitations (
        token_hash text PRIMARY KEY,
        staff_id uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX staff_invitations_staff_idx ON staff_invitations (staff_id)`);
    await q.query(`
      CREATE TABLE canned_replies (
        id uuid PRIMARY KEY,
        title text NOT NULL,
        body text NOT NULL,
        created_by uuid REFERENCES staff(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX canned_replies_title_idx ON canned_replies (lower(title))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE canned_replies`);
    await q.query(`DROP TABLE staff_invitations`);
  }
}
