import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drafts (SPEC §9): the reply a person is writing on an inquiry, kept on the server as they type, one per person
 * and inquiry, so it survives a reload and follows them to another device. Deleted in the reply's transaction when
 * it is sent; personal data, so deleted with the inquiry's personal data (retention and erasure).
 */
export class Drafts1764000900000 implements MigrationInterface {
  name = 'Drafts1764000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inquiry_drafts (
        inquiry_id uuid NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
        staff_id uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (inquiry_id, staff_id)
      )`);
    await q.query(`CREATE INDEX inquiry_drafts_staff_idx ON inquiry_drafts (staff_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE inquiry_drafts`);
  }
}
