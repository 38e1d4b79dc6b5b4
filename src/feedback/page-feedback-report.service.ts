import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { StaffPrincipal } from '../auth/staff.entity.js';
import { NotFound } from '../common/errors.js';
import type { PersonalDataFlag } from '../privacy/sensitive-data.js';
import { averageOf } from './page-feedback.service.js';

/**
 * The Bayesian average's prior: every page starts as if it had PRIOR_VOTES votes at the site-wide mean, so a page
 * with 9 votes moves little from the mean and cannot outrank one whose 900 votes are really that good (or bad).
 */
export const PRIOR_VOTES = 10;
/** With no votes anywhere yet, the mean is the middle of the scale. */
const EMPTY_MEAN = 3;
/** The daily digest (SPEC §11): pages below this with at least DIGEST_MIN_VOTES votes … */
export const DIGEST_BELOW = 2.5;
export const DIGEST_MIN_VOTES = 10;
/** … or whose last 30 days are this much below the 90 days before them (each window with enough votes). */
export const DIGEST_FALL = 0.5;
const FALL_MIN_RECENT = 5;
const FALL_MIN_BEFORE = 10;

export interface Period {
  votes: number;
  average: number | null;
}

export interface RankedPage {
  id: string;
  url: string;
  votes: number;
  average: number | null;
  /** The Bayesian average, to two decimals. */
  score: number;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
  last30: Period;
  last90: Period;
  /** The 90 days before the last 30. */
  before: Period;
  /** last30 minus before, when both have votes. */
  change: number | null;
  comments: number;
  hiddenComments: number;
}

export interface PageComment {
  id: string;
  comment: string | null;
  status: 'visible' | 'hidden' | 'spam';
  personalData: PersonalDataFlag[];
  spamReason: string | null;
  channel: 'widget' | 'page';
  createdAt: Date;
}

interface Row {
  id: string; url: string; votes: number; total: number; r1: number; r2: number; r3: number; r4: number; r5: number;
  score: number; v30: number; t30: number; v90: number; t90: number; vb: number; tb: number; comments: number; hidden: number;
}

const period = (votes: number, total: number): Period => ({ votes, average: averageOf(total, votes) });

const toRanked = (r: Row): RankedPage => {
  const last30 = period(r.v30, r.t30);
  const before = period(r.vb, r.tb);
  return {
    id: r.id, url: r.url, votes: r.votes, average: averageOf(r.total, r.votes), score: Math.round(r.score * 100) / 100,
    distribution: { 1: r.r1, 2: r.r2, 3: r.r3, 4: r.r4, 5: r.r5 },
    last30, last90: period(r.v90, r.t90), before,
    change: last30.votes && before.votes ? Math.round((r.t30 / r.v30 - r.tb / r.vb) * 10) / 10 : null,
    comments: r.comments, hiddenComments: r.hidden,
  };
};

// Site mean, then per page: roll-up, the Bayesian average, votes of the last 30 and 90 days and of the 90 days
// before the last 30 (by when each vote was last cast), and comment counts. $1 = prior votes.
const RANKED = `
  WITH site AS (SELECT coalesce(sum(total)::float8 / nullif(sum(votes), 0), ${EMPTY_MEAN}) AS mean FROM page_ratings),
  recent AS (
    SELECT page_url,
           count(*) FILTER (WHERE updated_at > now() - interval '30 days')::int AS v30,
           coalesce(sum(rating) FILTER (WHERE updated_at > now() - interval '30 days'), 0)::int AS t30,
           count(*) FILTER (WHERE updated_at > now() - interval '90 days')::int AS v90,
           coalesce(sum(rating) FILTER (WHERE updated_at > now() - interval '90 days'), 0)::int AS t90,
           count(*) FILTER (WHERE updated_at <= now() - interval '30 days')::int AS vb,
           coalesce(sum(rating) FILTER (WHERE updated_at <= now() - interval '30 days'), 0)::int AS tb
      FROM page_votes WHERE updated_at > now() - interval '120 days' %VOTES% GROUP BY page_url),
  comments AS (
    SELECT page_url, count(*) FILTER (WHERE status <> 'spam')::int AS comments, count(*) FILTER (WHERE status = 'hidden')::int AS hidden
      FROM page_comments %COMMENTS% GROUP BY page_url)
  SELECT r.id, r.url, r.votes, r.total, r.r1, r.r2, r.r3, r.r4, r.r5,
         ($1 * site.mean + r.total) / ($1 + r.votes) AS score,
         coalesce(x.v30, 0) AS v30, coalesce(x.t30, 0) AS t30, coalesce(x.v90, 0) AS v90, coalesce(x.t90, 0) AS t90,
         coalesce(x.vb, 0) AS vb, coalesce(x.tb, 0) AS tb, coalesce(c.comments, 0) AS comments, coalesce(c.hidden, 0) AS hidden
    FROM page_ratings r CROSS JOIN site
    LEFT JOIN recent x ON x.page_url = r.url LEFT JOIN comments c ON c.page_url = r.url`;

/** The staff side of page feedback: ranking, a page's votes and comments, revealing a hidden comment, the digest. */
@Injectable()
export class PageFeedbackReport {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly audit: AuditService) {}

  async siteMean(): Promise<{ mean: number; votes: number; pages: number }> {
    const [row] = await this.db.query(
      `SELECT coalesce(sum(total)::float8 / nullif(sum(votes), 0), ${EMPTY_MEAN}) AS mean, coalesce(sum(votes), 0)::int AS votes,
              count(*) FILTER (WHERE votes > 0)::int AS pages FROM page_ratings`);
    return { mean: Math.round(row.mean * 100) / 100, votes: row.votes, pages: row.pages };
  }

  /** Pages by Bayesian average, lowest first (those that most need attention) or highest first. */
  async ranked(order: 'lowest' | 'highest' = 'lowest', limit = 100): Promise<RankedPage[]> {
    const rows: Row[] = await this.db.query(
      `${RANKED.replace('%VOTES%', '').replace('%COMMENTS%', '')} ORDER BY score ${order === 'lowest' ? 'ASC' : 'DESC'}, r.votes DESC, r.url LIMIT $2`,
      [PRIOR_VOTES, limit]);
    return rows.map(toRanked);
  }

  async page(id: string): Promise<{ page: RankedPage; comments: PageComment[]; spam: number }> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFound('No such page');
    const [found]: { url: string }[] = await this.db.query(`SELECT url FROM page_ratings WHERE id = $1`, [id]);
    if (!found) throw new NotFound('No such page');
    const rows: Row[] = await this.db.query(`${RANKED.replace('%VOTES%', 'AND page_url = $2').replace('%COMMENTS%', 'WHERE page_url = $2')} WHERE r.url = $2`,
      [PRIOR_VOTES, found.url]);
    const comments: PageComment[] = await this.db.query(
      `SELECT id, CASE WHEN status = 'visible' THEN comment END AS comment, status, personal_data AS "personalData",
              spam_reason AS "spamReason", channel, created_at AS "createdAt"
         FROM page_comments WHERE page_url = $1 AND status <> 'spam' ORDER BY created_at DESC LIMIT 200`, [found.url]);
    const [{ spam }] = await this.db.query(`SELECT count(*)::int AS spam FROM page_comments WHERE page_url = $1 AND status = 'spam'`, [found.url]);
    return { page: toRanked(rows[0]), comments, spam };
  }

  /** A hidden comment's words, for the officer who asked; each look is audited (not the words). */
  async reveal(commentId: string, actor: StaffPrincipal): Promise<{ pageId: string; commentId: string; comment: string }> {
    if (!/^[0-9a-f-]{36}$/i.test(commentId)) throw new NotFound('No such comment');
    return this.db.transaction(async (tx) => {
      const [row]: { comment: string; page_id: string; personal_data: string[] }[] = await tx.query(
        `SELECT c.comment, r.id AS page_id, c.personal_data FROM page_comments c JOIN page_ratings r ON r.url = c.page_url WHERE c.id = $1`,
        [commentId]);
      if (!row) throw new NotFound('No such comment');
      await this.audit.record(tx, {
        actor, action: 'feedback.comment-revealed',
        changes: { comment: { from: null, to: commentId }, personalData: { from: null, to: row.personal_data } },
      });
      return { pageId: row.page_id, commentId, comment: row.comment };
    });
  }

  /** Pages the daily digest names (SPEC §11): below 2.5 with ≥ 10 votes, or fallen by ≥ 0.5 against the 90 days before. */
  async needingAttention(): Promise<(RankedPage & { reason: string })[]> {
    const pages = (await this.ranked('lowest', 10_000)).map((p) => {
      const reasons: string[] = [];
      if (p.votes >= DIGEST_MIN_VOTES && p.average !== null && p.average < DIGEST_BELOW) {
        reasons.push(`rated ${p.average.toFixed(1)} out of 5 from ${p.votes} votes`);
      }
      if (p.last30.votes >= FALL_MIN_RECENT && p.before.votes >= FALL_MIN_BEFORE && p.change !== null && p.change <= -DIGEST_FALL) {
        reasons.push(`fell from ${p.before.average!.toFixed(1)} to ${p.last30.average!.toFixed(1)} in the last 30 days`);
      }
      return { ...p, reason: reasons.join('; ') };
    });
    return pages.filter((p) => p.reason);
  }
}
