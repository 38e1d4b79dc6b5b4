import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { Staff } from './staff.entity.js';

/** How long the "Security code" step waits after the right password. */
export const CHALLENGE_MINUTES = 10;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A sign-in that has passed the password and waits for the second factor. */
export interface SignInChallenge {
  idHash: string;
  member: Staff;
  next: string;
}

/**
 * The state between the password and the security code of a web sign-in, kept server-side: a row keyed by the hash
 * of a random id that only this browser holds (an HttpOnly cookie scoped to /admin/login). It is made only after the
 * right password, lasts 10 minutes, dies with a password change, deactivation or 2FA reset (token_version), and is
 * deleted when the sign-in finishes; so the code step can never stand in for the password.
 */
@Injectable()
export class SignInChallenges {
  readonly cookieName: string;
  private readonly secure: boolean;

  constructor(@InjectDataSource() private readonly db: DataSource, config: AppConfig) {
    this.secure = config.publicBaseUrl.startsWith('https://');
    // __Host- needs Path=/; this cookie is scoped to the sign-in pages instead, so it uses the __Secure- prefix.
    this.cookieName = this.secure ? '__Secure-pi_sign_in' : 'pi_sign_in';
  }

  async start(res: Response, member: { id: string; tokenVersion: number }, next: string): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await this.db.query(
      `WITH gone AS (DELETE FROM staff_sign_in_challenges WHERE staff_id = $2 AND expires_at < now())
       INSERT INTO staff_sign_in_challenges (id_hash, staff_id, token_version, next, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))`,
      [sha256(id), member.id, member.tokenVersion, next, CHALLENGE_MINUTES],
    );
    res.cookie(this.cookieName, id, {
      httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/admin/login', maxAge: CHALLENGE_MINUTES * 60_000,
    });
  }

  /** The live challenge of this browser, or null (none, expired, or the account changed or was deactivated). */
  async resolve(req: Request): Promise<SignInChallenge | null> {
    const id = req.cookies?.[this.cookieName];
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const [row] = await this.db.query(
      `SELECT c.id_hash, c.next, c.staff_id FROM staff_sign_in_challenges c JOIN staff s ON s.id = c.staff_id
        WHERE c.id_hash = $1 AND c.expires_at > now() AND s.active AND s.token_version = c.token_version
          AND s.two_factor_enabled_at IS NOT NULL`,
      [sha256(id)],
    );
    if (!row) return null;
    const member = await this.db.getRepository(Staff).findOneBy({ id: row.staff_id });
    return member ? { idHash: row.id_hash, member, next: row.next } : null;
  }

  /** Ends the challenge (finished or abandoned): the row goes and the cookie is cleared. */
  async end(req: Request, res: Response): Promise<void> {
    const id = req.cookies?.[this.cookieName];
    if (typeof id === 'string') await this.db.query(`DELETE FROM staff_sign_in_challenges WHERE id_hash = $1`, [sha256(id)]);
    res.clearCookie(this.cookieName, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/admin/login' });
  }
}
