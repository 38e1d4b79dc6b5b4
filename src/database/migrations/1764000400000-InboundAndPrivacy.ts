import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbound email (stored raw before anything else), the sensitive-data flags of an inquiry,
 * retention runs, and the once-a-day markers of the digest (SPEC §6, §6a).
 */
export class InboundAndPrivacy1764000400000 implements MigrationInterface {
  name = 'InboundAndPrivacy1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbound_emails (
        id uuid PRIMARY KEY,
        raw bytea NOT NULL,
        source text NOT NULL CHECK (source IN ('smtp','webhook')),
        -- RCPT TO of the SMTP envelope (empty for the webhook, whose provider names them in headers).
        envelope_recipients text[] NOT NULL DEFAULT '{}',
        message_id text,
        from_address text,
        subject text,
        body_hash text,
        status text NOT NULL DEFAULT 'received' CHECK (status IN ('received','attached','held','failed','duplicate')),
        hold_reason text,
        inquiry_id uuid REFERENCES inquiries(id) ON DELETE SET NULL,
        duplicate_of uuid REFERENCES inbound_emails(id) ON DELETE SET NULL,
        error text,
        attempts integer NOT NULL DEFAULT 0,
        enqueued_at timestamptz,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        anonymised_at timestamptz
      )`);
    // The same Message-ID is stored once; the door answers OK for the copy and keeps nothing.
    await q.query(`CREATE UNIQUE INDEX inbound_emails_message_id_key ON inbound_emails (message_id) WHERE message_id IS NOT NULL`);
    await q.query(`CREATE INDEX inbound_emails_unprocessed_idx ON inbound_emails (received_at) WHERE status = 'received'`);
    await q.query(`CREATE INDEX inbound_emails_held_idx ON inbound_emails (received_at DESC, id DESC) WHERE status = 'held'`);
    await q.query(`CREATE INDEX inbound_emails_sender_idx ON inbound_emails (from_address, body_hash, received_at)`);
    await q.query(`CREATE INDEX inbound_emails_inquiry_idx ON inbound_emails (inquiry_id)`);
    await q.query(`
      ALTER TABLE conversation_messages ADD CONSTRAINT conversation_messages_inbound_email_fk
      FOREIGN KEY (inbound_email_id) REFERENCES inbound_emails(id) ON DELETE SET NULL`);

    await q.query(`ALTER TABLE inquiries ADD COLUMN sensitive_flags text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE inquiries ADD COLUMN anonymised_at timestamptz`);
    await q.query(`CREATE INDEX inquiries_retention_idx ON inquiries (resolved_at) WHERE status = 'resolved' AND anonymised_at IS NULL`);

    await q.query(`
      CREATE TABLE retention_runs (
        id uuid PRIMARY KEY,
        trigger text NOT NULL CHECK (trigger IN ('scheduled','manual')),
        run_date date NOT NULL,
        cutoff timestamptz NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        anonymised_count integer NOT NULL DEFAULT 0,
        inbound_anonymised_count integer NOT NULL DEFAULT 0
      )`);
    // A scheduled run happens once a day however often the job fires.
    await q.query(`CREATE UNIQUE INDEX retention_runs_scheduled_day_key ON retention_runs (run_date) WHERE trigger = 'scheduled'`);
    await q.query(`CREATE INDEX retention_runs_started_idx ON retention_runs (started_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE digest_runs (
        run_date date NOT NULL,
        mailbox text NOT NULL,
        outbound_email_id uuid REFERENCES outbound_emails(id) ON DELETE SET NULL,
        overdue_count integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_date, mailbox)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE digest_runs`);
    await q.query(`DROP TABLE retention_runs`);
    await q.query(`DROP INDEX inquiries_retention_idx`);
    await q.query(`ALTER TABLE inquiries DROP COLUMN anonymised_at`);
    await q.query(`ALTER TABLE inquiries DROP COLUMN sensitive_flags`);
    await q.query(`ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_inbound_email_fk`);
    await q.query(`DROP TABLE inbound_emails`);
  }
}
