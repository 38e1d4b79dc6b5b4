import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomInt, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { Conflict, Forbidden, InvalidInput, NotFound, Unprocessable } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { LoginAttempts } from './login-attempts.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { SecretBox, SecretUnreadable } from './secret-box.js';
import { SessionsService } from './sessions.service.js';
import type { StaffPrincipal } from './staff.entity.js';
import { base32Encode, checkTotp, newTotpSecret, otpauthUrl } from './totp.js';

export const ISSUER = 'Policy Inbox';
export const RECOVERY_CODE_COUNT = 10;
/** Lower case letters and digits without the look-alikes i, l, o, 0 and 1: 31 symbols, 10 of them ≈ 49.5 bits. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** What a code field takes: 6 digits, or a recovery code (`abcde-23456`, the hyphen optional), in any case. */
export const CODE_FORMAT = /^(\d{6}|[A-Za-z0-9]{5}-?[A-Za-z0-9]{5})$/;

export type SecondFactor = 'totp' | 'recovery-code';
/** Why a code was refused. `secret-unreadable`: the stored secret no longer decrypts (APP_SECRET changed). */
export type CodeRefusal = 'wrong' | 'replayed' | 'secret-unreadable';
export type CodeCheck = { ok: true; method: SecondFactor; recoveryCodesLeft: number | null } | { ok: false; reason: CodeRefusal };
/** Where a code was given, for the audit entry of a refused one. */
export type CodePurpose = 'sign-in' | 'new-recovery-codes' | 'turn-off';

/** A code refused on an account action (new recovery codes, turning off): a 400 on field `code`, with why. */
export class CodeRefused extends InvalidInput {
  constructor(readonly reason: CodeRefusal) {
    super([{
      field: 'code',
      message: reason === 'secret-unreadable'
        ? 'codes from the authenticator app cannot be checked (the server key changed): use a recovery code, or ask an admin to reset two-factor sign-in'
        : 'code is not right',
    }]);
  }
}

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: Date | null;
  /** Unused recovery codes. */
  recoveryCodesLeft: number;
  /** false when 2FA is on but the stored secret does not decrypt (APP_SECRET changed): only recovery codes work. */
  secretReadable: boolean;
  /** REQUIRE_2FA: it cannot be turned off, and an account without it can only enrol. */
  required: boolean;
}

interface SecretsRow {
  email: string;
  active: boolean;
  two_factor_secret: string | null;
  two_factor_pending_secret: string | null;
  two_factor_enabled_at: Date | null;
  two_factor_last_step: string | null;
}

/**
 * The rows an `UPDATE … RETURNING` returned (TypeORM's query() answers an UPDATE with [rows, count], so it runs as a
 * CTE whose rows are selected).
 */
async function changed<T = Record<string, unknown>>(db: EntityManager, update: string, params: unknown[]): Promise<T[]> {
  return db.query(`WITH changed AS (${update}) SELECT * FROM changed`, params);
}

/** Normalises a typed code: spaces and hyphens out, lower case ("123 456" → "123456", "ABCDE-23456" → "abcde23456"). */
export function normaliseCode(raw: string): string {
  return raw.replace(/[\s-]/g, '').toLowerCase();
}

function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * Two-factor sign-in (SPEC §5): TOTP enrolment confirmed by a first code, ten one-time recovery codes (argon2id
 * hashes), checking a code once only, new recovery codes, turning it off, and an admin's reset. The TOTP secret is
 * stored encrypted (SecretBox, key from APP_SECRET). A refused code is audited without the code, and counts towards
 * the sign-in lock-out of the account's address, so a stolen session cannot guess its way to turning 2FA off.
 */
@Injectable()
export class TwoFactorService {
  private readonly box: SecretBox;
  private readonly logger = new Logger('TwoFactor');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly attempts: LoginAttempts,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {
    this.box = new SecretBox(config.appSecret, 'two-factor-secret:v1');
  }

  get required(): boolean {
    return this.config.require2fa;
  }

  async status(staffId: string): Promise<TwoFactorStatus> {
    const row = await this.row(this.db.manager, staffId);
    const [{ left }] = await this.db.query(
      `SELECT count(*)::int AS left FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, [staffId]);
    return {
      enabled: Boolean(row.two_factor_enabled_at),
      enabledAt: row.two_factor_enabled_at,
      recoveryCodesLeft: row.two_factor_enabled_at ? left : 0,
      secretReadable: row.two_factor_secret ? this.readable(row.two_factor_secret, staffId) : true,
      required: this.required,
    };
  }

  /**
   * The secret to enrol with, kept as pending until a first code confirms it. The set-up page shows the pending one
   * again on a reload (`fresh: false`); the API makes a new one each time it is asked (`fresh: true`).
   * 409 when two-factor sign-in is already on.
   */
  async setup(staff: Pick<StaffPrincipal, 'id' | 'email'>, { fresh }: { fresh: boolean }): Promise<{ secret: string; otpauthUrl: string }> {
    const row = await this.row(this.db.manager, staff.id);
    if (row.two_factor_enabled_at) throw new Conflict('Two-factor sign-in is already on; turn it off first to set it up again');
    let secret: Buffer | null = null;
    if (!fresh && row.two_factor_pending_secret) secret = this.openOrNull(row.two_factor_pending_secret, staff.id);
    if (!secret) {
      secret = newTotpSecret();
      const sealed = this.box.seal(secret, staff.id);
      const updated = await changed(this.db.manager,
        `UPDATE staff SET two_factor_pending_secret = $2 WHERE id = $1 AND two_factor_enabled_at IS NULL RETURNING id`, [staff.id, sealed]);
      if (!updated.length) throw new Conflict('Two-factor sign-in is already on; turn it off first to set it up again');
    }
    const base32 = base32Encode(secret);
    return { secret: base32, otpauthUrl: otpauthUrl(base32, staff.email, ISSUER) };
  }

  /** The QR code of an otpauth:// URL as SVG markup, made here (no image service sees the secret). */
  qrCodeSvg(url: string): Promise<string> {
    return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
  }

  /**
   * Turns two-factor sign-in on with the first code of the pending secret, and makes the recovery codes (returned
   * once, stored hashed). token_version goes up, so every other session and token of the account ends (they were
   * signed in without the second factor); the caller starts a new session or token for the one that asked.
   */
  async enable(staff: Pick<StaffPrincipal, 'id' | 'email'>, code: string): Promise<{ recoveryCodes: string[]; tokenVersion: number }> {
    const row = await this.row(this.db.manager, staff.id);
    if (row.two_factor_enabled_at) throw new Conflict('Two-factor sign-in is already on');
    const pending = row.two_factor_pending_secret;
    const secret = pending ? this.openOrNull(pending, staff.id) : null;
    if (!pending || !secret) {
      throw new InvalidInput([{ field: 'code', message: 'no set-up is in progress: start setting up two-factor sign-in again' }]);
    }
    const check = checkTotp(secret, normaliseCode(code), Date.now(), null);
    if (!check.ok) throw new CodeRefused('wrong');
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const hashes = await Promise.all(recoveryCodes.map((c) => hashPassword(normaliseCode(c))));
    return this.db.transaction(async (tx) => {
      const rows = await changed<{ email: string; token_version: number }>(tx,
        `UPDATE staff SET two_factor_secret = two_factor_pending_secret, two_factor_pending_secret = NULL,
                two_factor_enabled_at = now(), two_factor_last_step = $3, token_version = token_version + 1, updated_at = now()
          WHERE id = $1 AND active AND two_factor_enabled_at IS NULL AND two_factor_pending_secret = $2
          RETURNING email, token_version`,
        [staff.id, pending, check.step],
      );
      if (!rows.length) throw new Conflict('Two-factor sign-in was set up or changed at the same time elsewhere; reload the page');
      await this.replaceRecoveryCodes(tx, staff.id, hashes);
      await this.audit.record(tx, {
        inquiryId: null, actor: { id: staff.id, email: rows[0].email }, action: 'staff.2fa-enabled',
        changes: { twoFactor: { from: 'off', to: 'on' }, recoveryCodesLeft: { from: null, to: RECOVERY_CODE_COUNT } },
      });
      return { recoveryCodes, tokenVersion: rows[0].token_version };
    });
  }

  /**
   * Checks a second-factor code of an account with 2FA on: a TOTP code (±1 step, and only for a step after the last
   * one accepted) or an unused recovery code (which is then used up). A refused well-formed code counts towards the
   * lock-out of the address and is audited ('auth.2fa-code-refused', with why, never the code). The caller checks
   * the lock-out first.
   */
  async checkCode(member: Pick<StaffPrincipal, 'id' | 'email'>, raw: string, purpose: CodePurpose): Promise<CodeCheck> {
    const code = normaliseCode(raw);
    const row = await this.row(this.db.manager, member.id);
    let result: CodeCheck;
    if (!row.two_factor_enabled_at || !row.two_factor_secret) {
      result = { ok: false, reason: 'wrong' };
    } else if (/^\d{6}$/.test(code)) {
      result = await this.checkTotpCode(member.id, row, code);
    } else if (/^[a-z0-9]{10}$/.test(code)) {
      result = await this.useRecoveryCode(member, code, purpose);
    } else {
      result = { ok: false, reason: 'wrong' };
    }
    if (!result.ok) {
      // An unreadable secret is not a guess being tried: it does not count towards the lock-out.
      if (result.reason !== 'secret-unreadable') await this.attempts.fail(row.email);
      await this.audit.record(this.db.manager, {
        inquiryId: null, actor: { id: member.id, email: row.email }, action: 'auth.2fa-code-refused',
        changes: { reason: { from: null, to: result.reason }, where: { from: null, to: purpose } },
      });
    }
    return result;
  }

  /** Ten new recovery codes for ten old ones (used or not), after a current code; 409 when 2FA is off. */
  async newRecoveryCodes(staff: Pick<StaffPrincipal, 'id' | 'email'>, code: string): Promise<string[]> {
    await this.attempts.assertNotLocked(staff.email);
    const before = await this.row(this.db.manager, staff.id);
    if (!before.two_factor_enabled_at) throw new Conflict('Two-factor sign-in is not on');
    const check = await this.checkCode(staff, code, 'new-recovery-codes');
    if (!check.ok) throw new CodeRefused(check.reason);
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const hashes = await Promise.all(recoveryCodes.map((c) => hashPassword(normaliseCode(c))));
    await this.db.transaction(async (tx) => {
      const [locked] = await tx.query(`SELECT two_factor_enabled_at FROM staff WHERE id = $1 FOR UPDATE`, [staff.id]);
      if (!locked?.two_factor_enabled_at) throw new Conflict('Two-factor sign-in is not on');
      const [{ left }] = await tx.query(`SELECT count(*)::int AS left FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, [staff.id]);
      await this.replaceRecoveryCodes(tx, staff.id, hashes);
      await this.audit.record(tx, {
        inquiryId: null, actor: { id: staff.id, email: before.email }, action: 'staff.2fa-recovery-codes-replaced',
        changes: { recoveryCodesLeft: { from: left, to: RECOVERY_CODE_COUNT } },
      });
    });
    return recoveryCodes;
  }

  /** Turns the person's own 2FA off after a fresh code; 403 while REQUIRE_2FA is set, 409 when it is off. */
  async disable(staff: Pick<StaffPrincipal, 'id' | 'email'>, code: string): Promise<void> {
    if (this.required) throw new Forbidden('Two-factor sign-in is required for every account here, so it cannot be turned off');
    await this.attempts.assertNotLocked(staff.email);
    const before = await this.row(this.db.manager, staff.id);
    if (!before.two_factor_enabled_at) throw new Conflict('Two-factor sign-in is not on');
    const check = await this.checkCode(staff, code, 'turn-off');
    if (!check.ok) throw new CodeRefused(check.reason);
    await this.db.transaction(async (tx) => {
      const cleared: unknown[] = await this.clear(tx, staff.id, false);
      if (!cleared.length) throw new Conflict('Two-factor sign-in is not on');
      await this.audit.record(tx, {
        inquiryId: null, actor: { id: staff.id, email: before.email }, action: 'staff.2fa-disabled',
        changes: { twoFactor: { from: 'on', to: 'off' } },
      });
    });
  }

  /**
   * An admin resets another account's two-factor sign-in (a lost phone, or secrets that no longer decrypt after
   * APP_SECRET changed): secret, pending secret and recovery codes go, every session of the account ends and
   * token_version goes up so its API tokens stop. The person sets it up again (at once, under REQUIRE_2FA).
   */
  async reset(staffId: string, actor: Pick<StaffPrincipal, 'id' | 'email'>): Promise<void> {
    if (staffId === actor.id) {
      throw new Unprocessable('You cannot reset your own two-factor sign-in: turn it off on My account, or ask another admin');
    }
    await this.db.transaction(async (tx) => {
      const [member] = await tx.query(
        `SELECT email, two_factor_enabled_at, two_factor_pending_secret FROM staff WHERE id = $1 FOR UPDATE`, [staffId]);
      if (!member) throw new NotFound('No staff account has this id');
      if (!member.two_factor_enabled_at && !member.two_factor_pending_secret) {
        throw new Unprocessable('This account does not have two-factor sign-in turned on');
      }
      await this.clear(tx, staffId, true);
      await tx.query(`DELETE FROM staff_sign_in_challenges WHERE staff_id = $1`, [staffId]);
      await this.sessions.endAll(staffId, tx);
      await this.audit.record(tx, {
        inquiryId: null, actor, action: 'staff.2fa-reset',
        changes: { id: { from: staffId, to: staffId }, twoFactor: { from: member.two_factor_enabled_at ? 'on' : 'being set up', to: 'off' } },
      });
    });
  }

  private async checkTotpCode(staffId: string, row: SecretsRow, code: string): Promise<CodeCheck> {
    let secret: Buffer;
    try {
      secret = this.box.open(row.two_factor_secret!, staffId);
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      this.logger.warn({ staffId }, 'A stored two-factor secret cannot be decrypted (APP_SECRET changed?): only recovery codes work for this account');
      return { ok: false, reason: 'secret-unreadable' };
    }
    const last = row.two_factor_last_step === null ? null : Number(row.two_factor_last_step);
    const check = checkTotp(secret, code, Date.now(), last);
    if (!check.ok) return check;
    // Taking the step is the acceptance: of two requests with the same code at once, only one moves it on.
    const taken = await changed(this.db.manager,
      `UPDATE staff SET two_factor_last_step = $2
        WHERE id = $1 AND two_factor_enabled_at IS NOT NULL AND (two_factor_last_step IS NULL OR two_factor_last_step < $2)
        RETURNING id`,
      [staffId, check.step],
    );
    return taken.length ? { ok: true, method: 'totp', recoveryCodesLeft: null } : { ok: false, reason: 'replayed' };
  }

  private async useRecoveryCode(member: Pick<StaffPrincipal, 'id' | 'email'>, code: string, purpose: CodePurpose): Promise<CodeCheck> {
    const unused: { id: string; code_hash: string }[] = await this.db.query(
      `SELECT id, code_hash FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, [member.id]);
    const matches = await Promise.all(unused.map((r) => verifyPassword(r.code_hash, code)));
    const found = unused[matches.indexOf(true)];
    if (!found) return { ok: false, reason: 'wrong' };
    return this.db.transaction(async (tx) => {
      const used = await changed(tx,
        `UPDATE staff_recovery_codes SET used_at = now() WHERE id = $1 AND used_at IS NULL RETURNING id`, [found.id]);
      if (!used.length) return { ok: false, reason: 'replayed' } as const;
      const [{ left }] = await tx.query(
        `SELECT count(*)::int AS left FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, [member.id]);
      await this.audit.record(tx, {
        inquiryId: null, actor: member, action: 'auth.recovery-code-used',
        changes: { recoveryCodesLeft: { from: left + 1, to: left }, where: { from: null, to: purpose } },
      });
      return { ok: true, method: 'recovery-code', recoveryCodesLeft: left } as const;
    });
  }

  private async replaceRecoveryCodes(tx: EntityManager, staffId: string, hashes: string[]): Promise<void> {
    await tx.query(`DELETE FROM staff_recovery_codes WHERE staff_id = $1`, [staffId]);
    await tx.query(
      `INSERT INTO staff_recovery_codes (id, staff_id, code_hash) SELECT unnest($1::uuid[]), $2, unnest($3::text[])`,
      [hashes.map(() => randomUUID()), staffId, hashes],
    );
  }

  /** Clears every 2FA column and the recovery codes; `revoke` also bumps token_version (an admin's reset). */
  private async clear(tx: EntityManager, staffId: string, revoke: boolean): Promise<unknown[]> {
    const rows = await changed(tx,
      `UPDATE staff SET two_factor_secret = NULL, two_factor_pending_secret = NULL, two_factor_enabled_at = NULL,
              two_factor_last_step = NULL, updated_at = now()${revoke ? ', token_version = token_version + 1' : ''}
        WHERE id = $1 ${revoke ? '' : 'AND two_factor_enabled_at IS NOT NULL'} RETURNING id`,
      [staffId],
    );
    await tx.query(`DELETE FROM staff_recovery_codes WHERE staff_id = $1`, [staffId]);
    return rows;
  }

  private async row(db: EntityManager, staffId: string): Promise<SecretsRow> {
    const [row] = await db.query(
      `SELECT email, active, two_factor_secret, two_factor_pending_secret, two_factor_enabled_at, two_factor_last_step FROM staff WHERE id = $1`,
      [staffId],
    );
    if (!row) throw new NotFound('No staff account has this id');
    return row;
  }

  private readable(sealed: string, staffId: string): boolean {
    return this.openOrNull(sealed, staffId) !== null;
  }

  private openOrNull(sealed: string, staffId: string): Buffer | null {
    try {
      return this.box.open(sealed, staffId);
    } catch (err) {
      if (err instanceof SecretUnreadable) return null;
      throw err;
    }
  }
}
