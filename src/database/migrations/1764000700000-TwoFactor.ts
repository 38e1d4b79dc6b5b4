import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two-factor sign-in (SPEC §5): the TOTP secret of an account, encrypted (AES-256-GCM, key derived from
 * APP_SECRET; see src/auth/secret-box.ts), a pending one while the person enrols, when it was turned on, and the
 * newest time step accepted, so a code works once (a step must be greater than the last one). Recovery codes are
 * argon2id hashes, each used once. A sign-in that has passed the password and waits for the code is a short-lived
 * row keyed by the hash of a random id the browser holds in a cookie, so the code step cannot skip the password.
 */
export class TwoFactor1764000700000 implements MigrationInterface {
  name = 'TwoFactor1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE staff
        ADD COLUMN two_factor_secret text,
        ADD COLUMN two_factor_pending_secret text,
        ADD COLUMN two_factor_enabled_at timestamptz,
        ADD COLUMN two_factor_last_step bigint,
        ADD CONSTRAINT staff_two_factor_whole CHECK ((two_factor_secret IS NULL) = (two_factor_enabled_at IS NULL))`);
    await q.query(`
      CREATE TABLE staff_recovery_codes (
        id uuid PRIMARY KEY,
        staff_id uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
        code_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX staff_recovery_codes_staff_idx ON staff_recovery_codes (staff_id) WHERE used_at IS NULL`);
    await q.query(`
      CREATE TABLE staff_sign_in_challenges (
        id_hash text PRIMARY KEY,
        staff_id uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
        token_version integer NOT NULL,
        next text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX staff_sign_in_challenges_staff_idx ON staff_sign_in_challenges (staff_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE staff_sign_in_challenges`);
    await q.query(`DROP TABLE staff_recovery_codes`);
    await q.query(`
      ALTER TABLE staff
        DROP CONSTRAINT staff_two_factor_whole,
        DROP COLUMN two_factor_last_step,
        DROP COLUMN two_factor_enabled_at,
        DROP COLUMN two_factor_pending_secret,
        DROP COLUMN two_factor_secret`);
  }
}
