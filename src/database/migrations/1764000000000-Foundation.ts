import { MigrationInterface, QueryRunner } from 'typeorm';

/** Topics (seeded), inquiries, idempotency keys and the outbox of outgoing email. */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE topics (
        key text PRIMARY KEY CHECK (key ~ '^[a-z0-9-]{1,50}$'),
        label text NOT NULL,
        description text NOT NULL DEFAULT '',
        mailbox text,
        response_target_days integer NOT NULL DEFAULT 10 CHECK (response_target_days BETWEEN 1 AND 100),
        active boolean NOT NULL DEFAULT true,
        sort_order integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO topics (key, label, description, response_target_days, sort_order) VALUES
      ('waiting-times', 'Waiting times and cancer services', 'Cancer waiting times, treatment capacity and how cancer services are run.', 10, 10),
      ('early-diagnosis', 'Early diagnosis and screening', 'Symptom awareness, GP referral, diagnostic tests and the national screening programmes.', 10, 20),
      ('prevention', 'Prevention: tobacco, alcohol and obesity', 'Smoking and vaping, alcohol, diet, obesity and other ways to reduce cancer risk.', 10, 30),
      ('research-funding', 'Research funding', 'Public and charitable funding of cancer research and clinical trials.', 10, 40),
      ('workforce', 'Cancer workforce', 'The staff the NHS needs to diagnose and treat cancer: training, recruitment, retention.', 10, 50),
      ('data', 'Data and health information', 'Cancer statistics, health data, patient records and information governance.', 10, 60),
      ('other', 'Something else', 'Any other question for the policy team.', 10, 100)`);

    await q.query(`
      CREATE TABLE inquiries (
        id uuid PRIMARY KEY,
        reference text NOT NULL UNIQUE,
        name text NOT NULL,
        email text NOT NULL,
        organisation text,
        enquirer_type text NOT NULL,
        topic_key text NOT NULL REFERENCES topics(key),
        subject text NOT NULL,
        message text NOT NULL,
        source_url text,
        consent boolean NOT NULL,
        status text NOT NULL DEFAULT 'new' CHECK (status IN ('new','open','waiting','resolved','spam')),
        spam_reason text,
        priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),
        assignee_id uuid,
        tags text[] NOT NULL DEFAULT '{}',
        channel text NOT NULL DEFAULT 'api' CHECK (channel IN ('api','form')),
        expected_response_by date NOT NULL,
        first_response_at timestamptz,
        resolved_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX inquiries_created_idx ON inquiries (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX inquiries_email_idx ON inquiries (lower(email))`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        inquiry_id uuid NOT NULL REFERENCES inquiries(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);

    await q.query(`
      CREATE TABLE outbound_emails (
        id uuid PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('acknowledgement','routing','reply','invitation','digest','notification')),
        inquiry_id uuid REFERENCES inquiries(id) ON DELETE CASCADE,
        recipient text NOT NULL,
        subject text NOT NULL,
        message_id text NOT NULL UNIQUE,
        in_reply_to text,
        "references" text[] NOT NULL DEFAULT '{}',
        reply_to text,
        payload jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sending','sent','failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        enqueued_at timestamptz,
        locked_until timestamptz,
        last_error text,
        smtp_response text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX outbound_emails_inquiry_idx ON outbound_emails (inquiry_id, created_at)`);
    // The relay and the sweeper only ever look at unfinished rows.
    await q.query(`CREATE INDEX outbound_emails_unfinished_idx ON outbound_emails (next_attempt_at) WHERE status IN ('pending','sending')`);
    await q.query(`CREATE INDEX outbound_emails_failed_idx ON outbound_emails (created_at DESC, id DESC) WHERE status = 'failed'`);
    // One notification per inserting statement wakes the relay without polling.
    await q.query(`
      CREATE FUNCTION notify_outbound_emails() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('outbound_emails', ''); RETURN NULL; END $$`);
    await q.query(`
      CREATE TRIGGER outbound_emails_notify AFTER INSERT ON outbound_emails
      FOR EACH STATEMENT EXECUTE FUNCTION notify_outbound_emails()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbound_emails`);
    await q.query(`DROP FUNCTION notify_outbound_emails()`);
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE inquiries`);
    await q.query(`DROP TABLE topics`);
  }
}
