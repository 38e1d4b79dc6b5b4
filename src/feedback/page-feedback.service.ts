import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { CreateInquiryDto } from '../inquiries/create-inquiry.dto.js';
import { spamVerdict } from '../inquiries/spam.js';
import { personalDataFlags } from '../privacy/sensitive-data.js';
import { FeedbackLimits } from './feedback-limits.js';
import { FeedbackSites } from './feedback-sites.js';
import { PageCommentDto, PageRatingView, RatePageDto, VoteReceipt } from './feedback.dto.js';
import { VisitorKeys } from './visitor-keys.js';

/** Who is voting or commenting: the request's address (only ever hashed), and an id if the visitor has one. */
export interface Visitor {
  ip: string | undefined;
  /** From the widget (the charity site's localStorage) or our own first-party cookie on /feedback. */
  id?: string;
}

interface RollUp {
  votes: number;
  total: number;
  r1: number;
  r2: number;
  r3: number;
  r4: number;
  r5: number;
}

/** The mean to one decimal, rounded half up, from integers (no binary-fraction surprises: 2.25 is 2.3). */
export function averageOf(total: number, votes: number): number | null {
  if (!votes) return null;
  return Math.floor((total * 20 + votes) / (2 * votes)) / 10;
}

const ratingView = (url: string, r: RollUp | undefined): PageRatingView => ({
  url,
  average: r ? averageOf(r.total, r.votes) : null,
  votes: r?.votes ?? 0,
  distribution: { 1: r?.r1 ?? 0, 2: r?.r2 ?? 0, 3: r?.r3 ?? 0, 4: r?.r4 ?? 0, 5: r?.r5 ?? 0 },
});

// Replaces this visitor's vote of the last 24 h, or adds one, and moves the page's roll-up by the difference.
// Runs after this visitor's lock on the page is taken, so its snapshot sees their every earlier vote; the roll-up
// row's UPDATE works from the row's latest version (READ COMMITTED), so concurrent votes of others all count.
const CAST_VOTE = `
  WITH earlier AS (
    SELECT id, rating FROM page_votes
     WHERE page_url = $1 AND visitor = $2 AND cast_at > now() - interval '24 hours'
     ORDER BY cast_at DESC LIMIT 1),
  replaced AS (
    UPDATE page_votes v SET rating = $3, updated_at = now() FROM earlier WHERE v.id = earlier.id RETURNING earlier.rating AS old),
  added AS (
    INSERT INTO page_votes (id, page_url, visitor, rating) SELECT $4, $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM earlier) RETURNING 1),
  change AS (SELECT (SELECT count(*)::int FROM added) AS added, (SELECT old FROM replaced) AS old)
  UPDATE page_ratings r SET
    votes = r.votes + c.added,
    total = r.total + $3 - coalesce(c.old, 0),
    r1 = r.r1 + (($3 = 1)::int) - ((c.old IS NOT DISTINCT FROM 1)::int),
    r2 = r.r2 + (($3 = 2)::int) - ((c.old IS NOT DISTINCT FROM 2)::int),
    r3 = r.r3 + (($3 = 3)::int) - ((c.old IS NOT DISTINCT FROM 3)::int),
    r4 = r.r4 + (($3 = 4)::int) - ((c.old IS NOT DISTINCT FROM 4)::int),
    r5 = r.r5 + (($3 = 5)::int) - ((c.old IS NOT DISTINCT FROM 5)::int),
    updated_at = now()
  FROM change c WHERE r.url = $1
  RETURNING r.votes, r.total`;

/**
 * "Rate this page" and "tell us what you think" (SPEC §11): the public side, shared by the JSON API, the widget
 * and the plain /feedback page.
 */
@Injectable()
export class PageFeedbackService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sites: FeedbackSites,
    private readonly visitors: VisitorKeys,
    private readonly limits: FeedbackLimits,
  ) {}

  async rating(url: unknown): Promise<PageRatingView> {
    const page = this.sites.page(url);
    const [row]: RollUp[] = await this.db.query(
      `SELECT votes, total, r1, r2, r3, r4, r5 FROM page_ratings WHERE url = $1`, [page]);
    return ratingView(page, row);
  }

  /** One vote per visitor and page: a second within 24 h replaces the first. The roll-up moves in the same commit. */
  async vote(dto: RatePageDto, visitor: Visitor): Promise<VoteReceipt> {
    const page = this.sites.page(dto.url);
    const byAddress = await this.visitors.fromAddress(visitor.ip);
    await this.limits.vote(byAddress);
    const voter = visitor.id ? this.visitors.fromId(visitor.id) : byAddress;
    const row = await this.db.transaction(async (tx) => {
      // The page's roll-up row is made on its first vote. One visitor's votes on a page take turns (a lock on the
      // visitor and page), so two quick votes cannot both count as first votes; votes of different visitors wait for
      // each other only on the roll-up row, which the last statement locks, until the commit that follows it.
      await tx.query(
        `WITH page AS (INSERT INTO page_ratings (id, url) VALUES ($1, $2) ON CONFLICT (url) DO NOTHING)
         SELECT pg_advisory_xact_lock(hashtextextended('page-vote:' || $2 || ' ' || $3, 0))`,
        [randomUUID(), page, voter]);
      // An UPDATE answers [rows, count].
      const [rows]: [{ votes: number; total: number }[], number] = await tx.query(CAST_VOTE, [page, voter, dto.rating, randomUUID()]);
      return rows[0];
    });
    return { average: averageOf(row.total, row.votes)!, votes: row.votes };
  }

  /**
   * A comment is always kept (the sender always sees the same answer): `spam` for the honeypot and the known-bad
   * patterns of intake, `hidden` when it looks like personal data, until an officer chooses to see it.
   */
  async comment(dto: PageCommentDto, visitor: Visitor, ctx: { channel: 'widget' | 'page'; formFillMs?: number }): Promise<void> {
    const page = this.sites.page(dto.url);
    await this.limits.comment(await this.visitors.fromAddress(visitor.ip));
    const spam = spamVerdict(
      { website: dto.website, subject: '', name: '', message: dto.comment } as unknown as CreateInquiryDto,
      { formFillMs: ctx.formFillMs });
    const personal = personalDataFlags(dto.comment);
    const status = spam ? 'spam' : personal.length ? 'hidden' : 'visible';
    await this.db.query(
      `WITH page AS (INSERT INTO page_ratings (id, url) VALUES ($6, $2) ON CONFLICT (url) DO NOTHING)
       INSERT INTO page_comments (id, page_url, comment, status, personal_data, spam_reason, channel) VALUES ($1, $2, $3, $4, $5, $7, $8)`,
      [randomUUID(), page, dto.comment, status, personal, randomUUID(), spam, ctx.channel]);
  }
}
