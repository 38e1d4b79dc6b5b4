import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops the per-statement NOTIFY trigger on outbound_emails: PostgreSQL holds a global lock from NOTIFY to
 * the end of the commit's WAL flush, so every intake commit queued behind the previous one. The app now
 * notifies after commit, coalesced (src/mail/outbox-signal.ts), and the relay also polls.
 */
export class OutboxNotifyAfterCommit1764000150000 implements MigrationInterface {
  name = 'OutboxNotifyAfterCommit1764000150000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS outbound_emails_notify ON outbound_emails`);
    await q.query(`DROP FUNCTION IF EXISTS notify_outbound_emails()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notify_outbound_emails() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('outbound_emails', ''); RETURN NULL; END $$`);
    await q.query(`
      CREATE TRIGGER outbound_emails_notify AFTER INSERT ON outbound_emails
      FOR EACH STATEMENT EXECUTE FUNCTION notify_outbound_emails()`);
  }
}
