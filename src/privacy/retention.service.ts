import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/cursor.js';
import { AppConfig } from '../config/app-config.js';
import { Anonymiser } from './anonymiser.js';
import { RetentionRunPage, RetentionRunView } from './privacy.dto.js';

const BATCH = 500;
const UK_TODAY = `(now() AT TIME ZONE 'Europe/London')::date`;

interface RunRow {
  id: string;
  trigger: 'scheduled' | 'manual';
  run_date: string;
  cutoff: Date;
  started_at: Date;
  finished_at: Date | null;
  anonymised_count: number;
  inbound_anonymised_count: number;
  comments_anonymised_count: number;
}

const toView = (r: RunRow): RetentionRunView => ({
  id: r.id, trigger: r.trigger, runDate: r.run_date, cutoff: r.cutoff, startedAt: r.started_at, finishedAt: r.finished_at,
  anonymisedCount: r.anonymised_count, inboundAnonymisedCount: r.inbound_anonymised_count,
  commentsAnonymisedCount: r.comments_anonymised_count,
});

/**
 * Retention (SPEC §6): personal data of inquiries resolved more than RETENTION_MONTHS ago is anonymised, and so
 * are messages in the holding pen that old. Each run is recorded; a scheduled run happens once per UK day.
 */
@Injectable()
export class RetentionService {
  private readonly log = new Logger('Retention');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly anonymiser: Anonymiser,
    private readonly config: AppConfig,
  ) {}

  /** Runs retention now; a scheduled run returns null when today's run already exists. */
  async run(trigger: 'scheduled' | 'manual'): Promise<RetentionRunView | null> {
    const [run]: RunRow[] = await this.db.query(
      `INSERT INTO retention_runs (id, trigger, run_date, cutoff)
       VALUES ($1, $2, ${UK_TODAY}, now() - make_interval(months => $3))
       ON CONFLICT (run_date) WHERE trigger = 'scheduled' DO NOTHING
       RETURNING id, cutoff`,
      [randomUUID(), trigger, this.config.retentionMonths],
    );
    if (!run) return null;
    let inquiries = 0;
    for (;;) {
      const n = await this.db.transaction(async (tx) => {
        const ids: { id: string }[] = await tx.query(
          `SELECT id FROM inquiries WHERE status = 'resolved' AND resolved_at < $1 AND anonymised_at IS NULL
           ORDER BY resolved_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`, [run.cutoff]);
        return this.anonymiser.anonymiseInquiries(tx, ids.map((r) => r.id), null, 'retention');
      });
      inquiries += n;
      if (n < BATCH) break;
    }
    // Messages that never reached an inquiry (holding pen, failed, duplicates) are kept no longer.
    const inbound = await this.db.transaction((tx) =>
      this.anonymiser.anonymiseInbound(tx, `status <> 'attached' AND inquiry_id IS NULL AND received_at < $1`, [run.cutoff]));
    // Page feedback (SPEC §11): comments older than the cutoff; a vote's visitor key, needed for 24 h only, after 2 days.
    const comments = await this.db.transaction((tx) => this.anonymiser.anonymiseComments(tx, `created_at < $1`, [run.cutoff]));
    await this.db.query(`UPDATE page_votes SET visitor = NULL WHERE visitor IS NOT NULL AND cast_at < now() - interval '2 days'`);
    const [finished]: RunRow[] = await this.db.query(
      `WITH done AS (
         UPDATE retention_runs SET finished_at = now(), anonymised_count = $2, inbound_anonymised_count = $3,
                comments_anonymised_count = $4 WHERE id = $1
         RETURNING id, trigger, run_date, cutoff, started_at, finished_at, anonymised_count, inbound_anonymised_count, comments_anonymised_count)
       SELECT id, trigger, to_char(run_date, 'YYYY-MM-DD') AS run_date, cutoff, started_at, finished_at, anonymised_count,
              inbound_anonymised_count, comments_anonymised_count FROM done`,
      [run.id, inquiries, inbound, comments],
    );
    this.log.log(`Retention run ${run.id}: ${inquiries} inquiries, ${inbound} inbound messages and ${comments} page comments anonymised`);
    return toView(finished);
  }

  async list(limit = 25, cursor?: string): Promise<RetentionRunPage> {
    const params: unknown[] = [];
    let after = '';
    if (cursor) {
      params.push(...decodeKeysetCursor(cursor));
      after = `WHERE (started_at, id) < ($1::timestamptz, $2::uuid)`;
    }
    params.push(limit + 1);
    const rows: (RunRow & { position: string })[] = await this.db.query(
      `SELECT id, trigger, to_char(run_date, 'YYYY-MM-DD') AS run_date, cutoff, started_at, finished_at, anonymised_count,
              inbound_anonymised_count, comments_anonymised_count, started_at::text AS position
       FROM retention_runs ${after} ORDER BY started_at DESC, id DESC LIMIT $${params.length}`, params);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toView),
      nextCursor: rows.length > limit ? encodeKeysetCursor(last.position, last.id) : null,
    };
  }
}
