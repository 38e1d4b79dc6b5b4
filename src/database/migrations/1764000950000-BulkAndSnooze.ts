import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snooze (SPEC §9): `snoozed_until` hides an unfinished inquiry from the working views until that instant.
 * - inquiries_snoozed_idx: partial (only snoozed rows, a few at most), so the wake-up sweep finds the due ones and the
 *   Snoozed view lists them without reading anything else; it holds status, assignee and reply-by date so the
 *   working views' counts can take the snoozed ones off theirs from this index alone.
 * - snoozed_by: who snoozed it (the wake-up notice goes to the assignee, or to them when nobody is assigned).
 * Bulk changes need no table: they are synchronous (see src/admin/inbox/bulk.service.ts).
 */
export class BulkAndSnooze1764000950000 implements MigrationInterface {
  name = 'BulkAndSnooze1764000950000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inquiries ADD COLUMN snoozed_until timestamptz, ADD COLUMN snoozed_by uuid REFERENCES staff (id) ON DELETE SET NULL`);
    await q.query(`
      CREATE INDEX inquiries_snoozed_idx ON inquiries (snoozed_until) INCLUDE (status, assignee_id, expected_response_by)
      WHERE snoozed_until IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inquiries_snoozed_idx`);
    await q.query(`ALTER TABLE inquiries DROP COLUMN snoozed_by, DROP COLUMN snoozed_until`);
  }
}
