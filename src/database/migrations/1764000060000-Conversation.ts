import { MigrationInterface, QueryRunner } from 'typeorm';

/** The conversation of an inquiry (emails both ways), internal notes, and the audit trail. */
export class Conversation1764000060000 implements MigrationInterface {
  name = 'Conversation1764000060000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversation_messages (
        id uuid PRIMARY KEY,
        inquiry_id uuid NOT NULL REFERENCES inquiries(id) ON DELETE CASCADE,
        direction text NOT NULL CHECK (direction IN ('inbound','outbound')),
        body text NOT NULL,
        staff_id uuid REFERENCES staff(id) ON DELETE SET NULL,
        outbound_email_id uuid REFERENCES outbound_emails(id) ON DELETE SET NULL,
        inbound_email_id uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX conversation_messages_inquiry_idx ON conversation_messages (inquiry_id, created_at)`);
    await q.query(`
      CREATE TABLE inquiry_notes (
        id uuid PRIMARY KEY,
        inquiry_id uuid NOT NULL REFERENCES inquiries(id) ON DELETE CASCADE,
        staff_id uuid REFERENCES staff(id) ON DELETE SET NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX inquiry_notes_inquiry_idx ON inquiry_notes (inquiry_id, created_at)`);
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY,
        inquiry_id uuid REFERENCES inquiries(id) ON DELETE CASCADE,
        actor_id uuid REFERENCES staff(id) ON DELETE SET NULL,
        actor_email text,
        action text NOT NULL,
        changes jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_events_inquiry_idx ON audit_events (inquiry_id, created_at)`);
    await q.query(`CREATE INDEX audit_events_created_idx ON audit_events (created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE inquiry_notes`);
    await q.query(`DROP TABLE conversation_messages`);
  }
}
