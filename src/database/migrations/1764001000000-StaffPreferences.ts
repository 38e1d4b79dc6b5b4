import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff preferences (SPEC §9): whether the web inbox's single-key keyboard shortcuts are on for a person. On by
 * default; "My account" turns them off (WCAG 2.1.4, character key shortcuts).
 */
export class StaffPreferences1764001000000 implements MigrationInterface {
  name = 'StaffPreferences1764001000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staff ADD COLUMN keyboard_shortcuts boolean NOT NULL DEFAULT true`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staff DROP COLUMN keyboard_shortcuts`);
  }
}
