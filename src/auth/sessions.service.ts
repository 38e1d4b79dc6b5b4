import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { StaffPrincipal } from './staff.entity.js';

export const SESSION_IDLE_HOURS = 2;
export const SESSION_ABSOLUTE_HOURS = 12;
/** last_seen_at is written at most this often, so reading a page is not a write every time. */
const TOUCH_SECONDS = 60;

/** A notice to show on the next page drawn, e.g. "Reply sent to …" (announced with role=status). */
export interface Flash {
  text: string;
  kind?: 'success' | 'info';
}

/** A signed-in browser: who, the CSRF token every post must carry, and a notice left by the last post. */
export interface WebSession {
  idHash: string;
  staff: StaffPrincipal;
  csrfToken: string;
  flash: Flash | null;
  /** The account has two-factor sign-in on (under REQUIRE_2FA, one without it may only enrol). */
  twoFactor: boolean;
  /** The person's single-key keyboard shortcuts are on (a setting in My account, WCAG 2.1.4). */
  shortcuts: boolean;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Server-side sessions of the web inbox (SPEC §8): a random id in an HttpOnly, SameSite=Lax cookie; the row
 * (keyed by the id's hash) decides. Signing out deletes it; a password change or deactivation bumps the
 * account's token_version, which ends every session at once; idle 2 h, absolute 12 h.
 */
@Injectable()
export class SessionsService {
  readonly cookieName: string;
  private readonly secure: boolean;

  constructor(@InjectDataSource() private readonly db: DataSource, config: AppConfig) {
    this.secure = config.publicBaseUrl.startsWith('https://');
    this.cookieName = this.secure ? '__Host-pi_session' : 'pi_session';
  }

  /**
   * Starts a session for the account and sets its cookie; `flash` is a notice for its first page. Returns the new
   * session's id hash and CSRF token, for a page drawn in the same response (e.g. the recovery codes, shown once).
   */
  async start(res: Response, staff: { id: string; tokenVersion: number }, flash?: Flash): Promise<{ idHash: string; csrfToken: string }> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    await this.db.query(
      `WITH gone AS (
         DELETE FROM staff_sessions WHERE staff_id = $2
            AND (last_seen_at < now() - make_interval(hours => $5) OR created_at < now() - make_interval(hours => $6)))
       INSERT INTO staff_sessions (id_hash, staff_id, token_version, csrf_token, flash) VALUES ($1, $2, $3, $4, $7)`,
      [sha256(id), staff.id, staff.tokenVersion, csrfToken, SESSION_IDLE_HOURS, SESSION_ABSOLUTE_HOURS,
        flash ? JSON.stringify(flash) : null],
    );
    res.cookie(this.cookieName, id, {
      httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: SESSION_ABSOLUTE_HOURS * 3600_000,
    });
    return { idHash: sha256(id), csrfToken };
  }

  /** The live session of this request's cookie, or null (none, unknown, expired, or the account changed). */
  async resolve(req: Request): Promise<WebSession | null> {
    const id = req.cookies?.[this.cookieName];
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const [row] = await this.db.query(
      `WITH found AS (
         SELECT ss.id_hash, ss.csrf_token, ss.flash, ss.last_seen_at, s.id, s.email, s.name, s.role,
                s.two_factor_enabled_at IS NOT NULL AS two_factor, s.keyboard_shortcuts
           FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
          WHERE ss.id_hash = $1 AND s.active AND s.token_version = ss.token_version
            AND ss.last_seen_at > now() - make_interval(hours => $2)
            AND ss.created_at > now() - make_interval(hours => $3)),
       touched AS (
         UPDATE staff_sessions SET last_seen_at = now()
          WHERE id_hash = (SELECT id_hash FROM found) AND last_seen_at < now() - make_interval(secs => $4))
       SELECT * FROM found`,
      [sha256(id), SESSION_IDLE_HOURS, SESSION_ABSOLUTE_HOURS, TOUCH_SECONDS],
    );
    if (!row) return null;
    return {
      idHash: row.id_hash,
      staff: { id: row.id, email: row.email, name: row.name, role: row.role },
      csrfToken: row.csrf_token,
      flash: row.flash ?? null,
      twoFactor: row.two_factor,
      shortcuts: row.keyboard_shortcuts,
    };
  }

  /** Leaves a notice for the next page this session draws. */
  async setFlash(session: WebSession, flash: Flash): Promise<void> {
    await this.db.query(`UPDATE staff_sessions SET flash = $2 WHERE id_hash = $1`, [session.idHash, JSON.stringify(flash)]);
  }

  /** Takes the notice (it shows once). */
  async takeFlash(session: WebSession): Promise<Flash | null> {
    if (!session.flash) return null;
    await this.db.query(`UPDATE staff_sessions SET flash = NULL WHERE id_hash = $1`, [session.idHash]);
    const flash = session.flash;
    session.flash = null;
    return flash;
  }

  /** Signs this browser out: the row goes, so the old cookie opens nothing even if it was copied. */
  async end(req: Request, res: Response): Promise<void> {
    const id = req.cookies?.[this.cookieName];
    if (typeof id === 'string') await this.db.query(`DELETE FROM staff_sessions WHERE id_hash = $1`, [sha256(id)]);
    res.clearCookie(this.cookieName, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/' });
  }

  /** Ends every session of an account (e.g. its 2FA was reset); deactivation and password changes also end them by token_version. */
  async endAll(staffId: string, db: EntityManager = this.db.manager): Promise<void> {
    await db.query(`DELETE FROM staff_sessions WHERE staff_id = $1`, [staffId]);
  }
}
