import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Page feedback (SPEC §11): the charity's "Rate this page" and "tell us what you think".
 * - page_ratings: one roll-up row per page (votes, total and the count of each rating), updated in the vote's
 *   transaction, so the widget's answer is one indexed read.
 * - page_votes: one row per visitor and page within 24 h (a second vote in that time replaces the first). `visitor`
 *   is a keyed hash (never an address), emptied by the retention run once the 24 h window is long gone.
 * - page_feedback_salts: the salt of the day for hashing a visitor's address when there is no visitor id; a day's
 *   row is deleted the next day, so yesterday's hashes cannot be linked to an address any more.
 * - page_comments: "tell us what you think"; `hidden` when it looks like personal data, `spam` for the honeypot
 *   and known-bad patterns (kept for review, as at intake). Anonymised after RETENTION_MONTHS.
 * - page_feedback_digest_runs: once-a-day marker of the page part of the daily digest.
 */
export class PageFeedback1764000800000 implements MigrationInterface {
  name = 'PageFeedback1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE page_ratings (
        id uuid PRIMARY KEY,
        url text NOT NULL UNIQUE,
        votes integer NOT NULL DEFAULT 0 CHECK (votes >= 0),
        total integer NOT NULL DEFAULT 0 CHECK (total >= 0),
        r1 integer NOT NULL DEFAULT 0, r2 integer NOT NULL DEFAULT 0, r3 integer NOT NULL DEFAULT 0,
        r4 integer NOT NULL DEFAULT 0, r5 integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT page_ratings_counts CHECK (r1 + r2 + r3 + r4 + r5 = votes AND r1 + 2*r2 + 3*r3 + 4*r4 + 5*r5 = total)
      )`);
    await q.query(`
      CREATE TABLE page_votes (
        id uuid PRIMARY KEY,
        page_url text NOT NULL,
        visitor text,
        rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        cast_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX page_votes_visitor_idx ON page_votes (page_url, visitor, cast_at DESC) WHERE visitor IS NOT NULL`);
    await q.query(`CREATE INDEX page_votes_page_time_idx ON page_votes (page_url, updated_at) INCLUDE (rating)`);
    await q.query(`CREATE TABLE page_feedback_salts (day date PRIMARY KEY, salt bytea NOT NULL)`);
    await q.query(`
      CREATE TABLE page_comments (
        id uuid PRIMARY KEY,
        page_url text NOT NULL,
        comment text NOT NULL,
        status text NOT NULL CHECK (status IN ('visible', 'hidden', 'spam')),
        personal_data text[] NOT NULL DEFAULT '{}',
        spam_reason text,
        channel text NOT NULL CHECK (channel IN ('widget', 'page')),
        created_at timestamptz NOT NULL DEFAULT now(),
        anonymised_at timestamptz
      )`);
    await q.query(`CREATE INDEX page_comments_page_idx ON page_comments (page_url, created_at DESC)`);
    await q.query(`CREATE INDEX page_comments_retention_idx ON page_comments (created_at) WHERE anonymised_at IS NULL`);
    await q.query(`
      CREATE TABLE page_feedback_digest_runs (
        run_date date PRIMARY KEY,
        pages integer NOT NULL,
        outbound_email_id uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE retention_runs ADD COLUMN comments_anonymised_count integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE retention_runs DROP COLUMN comments_anonymised_count`);
    await q.query(`DROP TABLE page_feedback_digest_runs`);
    await q.query(`DROP TABLE page_comments`);
    await q.query(`DROP TABLE page_feedback_salts`);
    await q.query(`DROP TABLE page_votes`);
    await q.query(`DROP TABLE page_ratings`);
  }
}
