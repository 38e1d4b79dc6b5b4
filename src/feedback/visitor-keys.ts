import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { clientKey } from '../inquiries/submission-limits.js';

const ukDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * Who cast a vote, without knowing who (SPEC §11), so a second vote within 24 h replaces the first:
 * - the widget keeps a random visitor id in the charity site's own localStorage (first-party to that site; no
 *   cookie of ours is set on their pages, so no third-party cookie) and sends it with the vote;
 * - the plain /feedback page has a first-party cookie of ours when it is opened as a page of its own;
 * - without either, a keyed hash (HMAC-SHA-256) of the client address with a salt of the UK day, kept in
 *   PostgreSQL for that day only and deleted the day after, so an old hash can never be tied to an address again.
 * The address itself is never stored and never logged; ids are stored only as keyed hashes too.
 */
@Injectable()
export class VisitorKeys {
  private salt?: { day: string; key: Buffer };

  constructor(@InjectDataSource() private readonly db: DataSource, private readonly config: AppConfig) {}

  /** A visitor id the widget or our cookie holds. */
  fromId(id: string): string {
    return `v:${createHmac('sha256', this.config.appSecret).update(`page-visitor:${id}`).digest('base64url')}`;
  }

  /** The address of a visitor without an id, hashed with today's salt. */
  async fromAddress(ip: string | undefined): Promise<string> {
    const key = await this.todaysSalt();
    return `a:${createHmac('sha256', key).update(clientKey(ip)).digest('base64url')}`;
  }

  private async todaysSalt(): Promise<Buffer> {
    const day = ukDay.format(new Date());
    if (this.salt?.day === day) return this.salt.key;
    for (let attempt = 0; attempt < 3; attempt++) {
      // One statement: make today's salt if no process has yet, forget every earlier day's, read today's.
      const rows: { salt: Buffer }[] = await this.db.query(
        `WITH made AS (INSERT INTO page_feedback_salts (day, salt) VALUES ($1::date, $2) ON CONFLICT (day) DO NOTHING RETURNING salt),
              forgotten AS (DELETE FROM page_feedback_salts WHERE day < $1::date)
         SELECT salt FROM made UNION ALL SELECT salt FROM page_feedback_salts WHERE day = $1::date LIMIT 1`,
        [day, randomBytes(32)]);
      // Empty only when another process made today's salt in the same instant: read it again.
      if (rows[0]) {
        this.salt = { day, key: rows[0].salt };
        return rows[0].salt;
      }
    }
    throw new Error('The salt of the day could not be read');
  }
}
