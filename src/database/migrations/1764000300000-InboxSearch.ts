import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The staff inbox at a million inquiries (SPEC §5, §7): a stored full-text vector over subject, message, name,
 * email and reference with a GIN index, and indexes that follow the list's keyset order (created_at DESC, id DESC)
 * for its filters. Columns after the order keys let the other filters be checked inside the index, so a page reads
 * only the rows it returns however rare the combination. The assignee filter alone uses inquiries_assignee_idx.
 */
export class InboxSearch1764000300000 implements MigrationInterface {
  name = 'InboxSearch1764000300000';

  async up(q: QueryRunner): Promise<void> {
    // 'simple': no stemming and no stop words, so names, references and words in any language match as typed.
    await q.query(`
      ALTER TABLE inquiries ADD COLUMN search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, reference || ' ' || subject || ' ' || name || ' ' || email || ' ' || message)
      ) STORED`);
    await q.query(`CREATE INDEX inquiries_search_idx ON inquiries USING gin (search)`);
    // A longer list of common words in the statistics: without it every word outside the default list is guessed
    // at about 0.5% of rows, and a rare word is searched by walking the whole date index instead of the GIN index.
    await q.query(`ALTER TABLE inquiries ALTER COLUMN search SET STATISTICS 1000`);
    await q.query(`CREATE INDEX inquiries_status_created_idx ON inquiries (status, created_at DESC, id DESC, topic_key, priority, assignee_id)`);
    await q.query(`CREATE INDEX inquiries_topic_created_idx ON inquiries (topic_key, created_at DESC, id DESC, priority, assignee_id)`);
    await q.query(`CREATE INDEX inquiries_priority_created_idx ON inquiries (priority, created_at DESC, id DESC)`);
    // Overdue = unfinished and past its date: a small partial index, in list order, with the date to check in it.
    await q.query(`
      CREATE INDEX inquiries_unfinished_created_idx ON inquiries (created_at DESC, id DESC, expected_response_by)
      WHERE status NOT IN ('resolved', 'spam')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inquiries_unfinished_created_idx`);
    await q.query(`DROP INDEX inquiries_priority_created_idx`);
    await q.query(`DROP INDEX inquiries_topic_created_idx`);
    await q.query(`DROP INDEX inquiries_status_created_idx`);
    await q.query(`DROP INDEX inquiries_search_idx`);
    await q.query(`ALTER TABLE inquiries DROP COLUMN search`);
  }
}
