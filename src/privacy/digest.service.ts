import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { PageFeedbackReport } from '../feedback/page-feedback-report.service.js';
import { OutboxService } from '../mail/outbox.service.js';

const UK_TODAY = `(now() AT TIME ZONE 'Europe/London')::date`;
/** Most inquiries one digest lists; the count in the subject is always the full number. */
const MAX_ITEMS = 200;

interface OverdueRow {
  mailbox: string;
  id: string;
  reference: string;
  topic_label: string;
  status: string;
  priority: string;
  expected_response_by: string;
  days_overdue: number;
  assignee: string | null;
}

/**
 * Response targets (issue 5, item 5): once a day each topic mailbox gets a digest of its overdue inquiries.
 * A marker row per (UK date, mailbox) is written in the same transaction as the email, so a job that fires
 * twice, or runs in two processes, sends one digest. The digest carries references and dates, no personal data.
 */
@Injectable()
export class DigestService {
  private readonly log = new Logger('Digest');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
    private readonly pageFeedback: PageFeedbackReport,
  ) {}

  /** Queues today's digests; returns how many mailboxes got one now. */
  async sendDaily(): Promise<number> {
    const rows: OverdueRow[] = await this.db.query(
      `SELECT coalesce(t.mailbox, $1) AS mailbox, i.id, i.reference, t.label AS topic_label, i.status, i.priority,
              to_char(i.expected_response_by, 'YYYY-MM-DD') AS expected_response_by,
              (${UK_TODAY} - i.expected_response_by)::int AS days_overdue, s.name AS assignee
         FROM inquiries i JOIN topics t ON t.key = i.topic_key LEFT JOIN staff s ON s.id = i.assignee_id
        WHERE i.status IN ('new','open','waiting') AND i.expected_response_by < ${UK_TODAY}
        ORDER BY i.expected_response_by, i.created_at`, [this.config.teamInbox]);
    const byMailbox = new Map<string, OverdueRow[]>();
    for (const r of rows) byMailbox.set(r.mailbox, [...(byMailbox.get(r.mailbox) ?? []), r]);
    let sent = 0;
    for (const [mailbox, items] of byMailbox) {
      const queued = await this.db.transaction(async (tx) => {
        const [marker]: { run_date: string }[] = await tx.query(
          `INSERT INTO digest_runs (run_date, mailbox, overdue_count) VALUES (${UK_TODAY}, $1, $2)
           ON CONFLICT DO NOTHING RETURNING to_char(run_date, 'YYYY-MM-DD') AS run_date`, [mailbox, items.length]);
        if (!marker) return false;
        const [email] = await this.outbox.add(tx, [{
          kind: 'digest',
          recipient: mailbox,
          subject: `Overdue inquiries: ${items.length} past their reply date (${marker.run_date})`,
          payload: {
            date: marker.run_date,
            total: items.length,
            items: items.slice(0, MAX_ITEMS).map((i) => ({
              reference: i.reference, topic: i.topic_label, status: i.status, priority: i.priority,
              expectedResponseBy: i.expected_response_by, daysOverdue: i.days_overdue, assignee: i.assignee,
              url: `${this.config.publicBaseUrl}/admin/inquiries/${i.id}`,
            })),
          },
        }]);
        await tx.query(`UPDATE digest_runs SET outbound_email_id = $3 WHERE run_date = $1::date AND mailbox = $2`,
          [marker.run_date, mailbox, email.id]);
        return true;
      });
      if (queued) sent++;
    }
    if (sent) this.log.log(`Queued ${sent} overdue digest(s)`);
    return sent + (await this.sendPageFeedback());
  }

  /**
   * Page feedback (SPEC §11): once a day TEAM_INBOX hears of the pages rated below 2.5 with at least 10 votes, or
   * whose last 30 days fell by 0.5 or more against the 90 days before. Page addresses and figures only.
   */
  async sendPageFeedback(): Promise<number> {
    const pages = await this.pageFeedback.needingAttention();
    if (!pages.length) return 0;
    const queued = await this.db.transaction(async (tx) => {
      const [marker]: { run_date: string }[] = await tx.query(
        `INSERT INTO page_feedback_digest_runs (run_date, pages) VALUES (${UK_TODAY}, $1)
         ON CONFLICT DO NOTHING RETURNING to_char(run_date, 'YYYY-MM-DD') AS run_date`, [pages.length]);
      if (!marker) return false;
      const [email] = await this.outbox.add(tx, [{
        kind: 'digest',
        recipient: this.config.teamInbox,
        subject: `Page feedback: ${pages.length} ${pages.length === 1 ? 'page needs' : 'pages need'} attention (${marker.run_date})`,
        payload: {
          pageFeedback: true,
          date: marker.run_date,
          total: pages.length,
          pages: pages.slice(0, MAX_ITEMS).map((p) => ({
            url: p.url, average: p.average, votes: p.votes, reason: p.reason,
            adminUrl: `${this.config.publicBaseUrl}/admin/page-feedback/pages/${p.id}`,
          })),
        },
      }]);
      await tx.query(`UPDATE page_feedback_digest_runs SET outbound_email_id = $2 WHERE run_date = $1::date`, [marker.run_date, email.id]);
      return true;
    });
    if (queued) this.log.log(`Queued the page feedback digest (${pages.length} pages)`);
    return queued ? 1 : 0;
  }
}
