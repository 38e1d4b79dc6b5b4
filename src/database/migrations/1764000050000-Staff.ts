import { MigrationInterface, QueryRunner } from 'typeorm';

/** Staff accounts (officers and admins); inquiries may be assigned to one. */
export class Staff1764000050000 implements MigrationInterface {
  name = 'Staff1764000050000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE staff (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('officer','admin')),
        password_hash text,
        active boolean NOT NULL DEFAULT true,
        -- Bumped on deactivation or password change; tokens carry it, so older tokens stop working.
        token_version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX staff_email_key ON staff (lower(email))`);
    await q.query(`ALTER TABLE inquiries ADD CONSTRAINT inquiries_assignee_fk FOREIGN KEY (assignee_id) REFERENCES staff(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX inquiries_assignee_idx ON inquiries (assignee_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inquiries_assignee_idx`);
    await q.query(`ALTER TABLE inquiries DROP CONSTRAINT inquiries_assignee_fk`);
    await q.query(`DROP TABLE staff`);
  }
}
