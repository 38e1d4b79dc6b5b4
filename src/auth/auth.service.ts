import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHmac } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { FieldError, InvalidInput, NotFound, TooManyRequests, Unauthorized } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { codePoints } from '../common/validation.js';
import { LoginDto, LoginResult, SetPasswordDto } from './auth.dto.js';
import { InvitationsService } from './invitations.service.js';
import { LoginAttempts } from './login-attempts.js';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN, prepareDummyHash, verifyAgainstDummy, verifyPassword } from './passwords.js';
import { Staff } from './staff.entity.js';
import type { StaffPrincipal } from './staff.entity.js';
import { ACCESS_TOKEN_SECONDS, TokensService } from './tokens.service.js';
import { CodeCheck, CodeRefusal, SecondFactor, TwoFactorService } from './two-factor.service.js';

const WRONG_CREDENTIALS = 'The email address or password is not right';

/** The API's words for a refused second factor. */
const REFUSED_CODE: Record<CodeRefusal, string> = {
  wrong: 'The security code is not right',
  replayed: 'This security code has already been used: wait for the next one',
  'secret-unreadable': 'Codes from the authenticator app cannot be checked (the server key changed): use a recovery code, or ask an admin to reset two-factor sign-in',
};

/** 401 for an account with two-factor sign-in when the code is missing or refused: the body says `twoFactorRequired`. */
export class TwoFactorRequired extends Unauthorized {
  readonly twoFactorRequired = true;
}

/** Signing in with an email and password, and setting a password from an invitation. */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  constructor(
    @InjectRepository(Staff) private readonly staff: Repository<Staff>,
    private readonly db: DataSource,
    private readonly tokens: TokensService,
    private readonly attempts: LoginAttempts,
    private readonly invitations: InvitationsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly twoFactor: TwoFactorService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await prepareDummyHash();
  }

  /**
   * The API's sign-in: password, then the second factor when the account has one (`code`: a TOTP code or a
   * recovery code; without it 401 with `twoFactorRequired`). Under REQUIRE_2FA an account without 2FA gets a token
   * limited to the enrolment routes, and the answer says so.
   */
  async login(dto: LoginDto): Promise<LoginResult> {
    const member = await this.checkPassword(dto.email, dto.password);
    let method: SecondFactor | null = null;
    if (member.twoFactorEnabledAt) {
      if (dto.code === undefined || dto.code === '') {
        throw new TwoFactorRequired('This account has two-factor sign-in: send the security code from the authenticator app (or a recovery code) as `code`');
      }
      const check = await this.twoFactor.checkCode(member, dto.code, 'sign-in');
      if (!check.ok) throw new TwoFactorRequired(REFUSED_CODE[check.reason]);
      method = check.method;
    }
    await this.signedIn(member, method);
    const enrolmentOnly = this.config.require2fa && !member.twoFactorEnabledAt;
    return {
      accessToken: await this.tokens.sign(member.id, member.tokenVersion, { enrolmentOnly }),
      expiresIn: ACCESS_TOKEN_SECONDS,
      staff: { id: member.id, email: member.email, name: member.name, role: member.role },
      ...(enrolmentOnly ? { twoFactorEnrolmentRequired: true } : {}),
    };
  }

  /**
   * Password-only sign-in, for the queue dashboard's HTTP Basic: the active staff member with this email and
   * password, or 401. An account with two-factor sign-in cannot sign in with a password alone (401: use a bearer
   * token), nor can one that must still set it up under REQUIRE_2FA. 429 while the address is locked.
   */
  async verifyCredentials(email: string, password: string): Promise<Staff> {
    const member = await this.checkPassword(email, password);
    if (member.twoFactorEnabledAt) throw new TwoFactorRequired('This account has two-factor sign-in: sign in with a code to get a bearer token');
    if (this.config.require2fa) throw new Unauthorized('Set up two-factor sign-in first');
    await this.signedIn(member, null);
    return member;
  }

  /**
   * The first step of every sign-in: the active staff member with this email and password, or 401 — the same
   * answer for an unknown address, a wrong password, a deactivated account and one without a password; a failure
   * counts towards the lock-out. 429 while the address is locked. It neither clears the count nor records a
   * sign-in: `signedIn` does, once the second factor (if any) has passed too.
   */
  async checkPassword(email: string, password: string): Promise<Staff> {
    await this.assertNotLocked(email);
    const member = await this.staff
      .createQueryBuilder('s')
      .where('lower(s.email) = lower(:email)', { email: email.trim() })
      .getOne();
    const ok = member?.passwordHash && member.active
      ? await verifyPassword(member.passwordHash, password)
      : await verifyAgainstDummy(password);
    if (!member || !ok) {
      await this.attempts.fail(email);
      await this.refused(email, 'credentials');
      throw new Unauthorized(WRONG_CREDENTIALS);
    }
    return member;
  }

  /** 429 (audited as a refused sign-in) while the address is locked by failed passwords or codes. */
  async assertNotLocked(email: string): Promise<void> {
    try {
      await this.attempts.assertNotLocked(email);
    } catch (err) {
      if (err instanceof TooManyRequests) await this.refused(email, 'locked');
      throw err;
    }
  }

  /**
   * The second step of a web sign-in: a code for the account whose password was right (the caller holds the
   * challenge). 429 while locked; a wrong code counts towards the lock-out.
   */
  async checkSecondFactor(member: Staff, code: string): Promise<CodeCheck> {
    await this.assertNotLocked(member.email);
    return this.twoFactor.checkCode(member, code, 'sign-in');
  }

  /** A finished sign-in: the failure count of the address is cleared and 'auth.signed-in' recorded (how, never a code). */
  async signedIn(member: Staff, method: SecondFactor | null): Promise<void> {
    await this.attempts.clear(member.email);
    await this.audit.record(this.db.manager, {
      inquiryId: null, actor: member, action: 'auth.signed-in',
      ...(method ? { changes: { secondFactor: { from: null, to: method } } } : {}),
    });
  }

  /** The staff member if still active and unchanged since `tokenVersion` (a password change or deactivation bumps it). */
  async activeStaff(id: string, tokenVersion: number): Promise<StaffPrincipal | null> {
    const member = await this.staff.findOneBy({ id });
    if (!member || !member.active || member.tokenVersion !== tokenVersion) return null;
    return { id: member.id, email: member.email, name: member.name, role: member.role };
  }

  /** Sets the password of an invited staff member; the token works once. */
  async setPassword(dto: SetPasswordDto): Promise<void> {
    const hash = await hashPassword(dto.password);
    await this.db.transaction(async (tx) => {
      const staffId = await this.invitations.redeem(tx, dto.token);
      const rows: { id: string; email: string }[] = staffId
        ? await tx.query(
          `WITH changed AS (
             UPDATE staff SET password_hash = $2, token_version = token_version + 1, updated_at = now()
              WHERE id = $1 AND active RETURNING id, email)
           SELECT id, email FROM changed`,
          [staffId, hash],
        )
        : [];
      if (!rows.length) {
        throw new InvalidInput([{ field: 'token', message: 'This link is not valid or has expired. Ask an admin for a new invitation.' }]);
      }
      await this.audit.record(tx, { inquiryId: null, actor: rows[0], action: 'staff.password-set' });
    });
  }

  /**
   * A signed-in person changes their own password: the current one must be right (a wrong one counts towards the
   * sign-in lock-out of their address, like a failed sign-in), the new one 12 to 200 characters and not the same.
   * token_version goes up, which ends every session and token of the account at once; the caller starts a new
   * session for the browser that asked, with the version returned.
   */
  async changePassword(staffId: string, current: string, next: string): Promise<{ id: string; tokenVersion: number }> {
    const member = await this.staff.findOneBy({ id: staffId });
    if (!member || !member.active) throw new NotFound('No active staff account has this id');
    await this.attempts.assertNotLocked(member.email);
    const errors: FieldError[] = [];
    if (!current) errors.push({ field: 'currentPassword', message: 'currentPassword is required' });
    if (codePoints(next) < PASSWORD_MIN || codePoints(next) > PASSWORD_MAX) {
      errors.push({ field: 'newPassword', message: `newPassword must be between ${PASSWORD_MIN} and ${PASSWORD_MAX} characters` });
    }
    if (errors.length) throw new InvalidInput(errors);
    const right = member.passwordHash && current.length <= PASSWORD_MAX
      ? await verifyPassword(member.passwordHash, current)
      : await verifyAgainstDummy(current);
    if (!right) {
      await this.attempts.fail(member.email);
      throw new InvalidInput([{ field: 'currentPassword', message: 'currentPassword is not right' }]);
    }
    if (current === next) throw new InvalidInput([{ field: 'newPassword', message: 'newPassword must be different from the current password' }]);
    const hash = await hashPassword(next);
    return this.db.transaction(async (tx) => {
      const rows: { id: string; email: string; token_version: number }[] = await tx.query(
        `WITH changed AS (
           UPDATE staff SET password_hash = $2, token_version = token_version + 1, updated_at = now()
            WHERE id = $1 AND active RETURNING id, email, token_version)
         SELECT id, email, token_version FROM changed`,
        [member.id, hash],
      );
      if (!rows.length) throw new NotFound('No active staff account has this id');
      await this.audit.record(tx, { inquiryId: null, actor: rows[0], action: 'staff.password-changed' });
      return { id: rows[0].id, tokenVersion: rows[0].token_version };
    });
  }

  /** Turns the person's single-key keyboard shortcuts of the web inbox on or off (WCAG 2.1.4). */
  async setShortcuts(staffId: string, on: boolean): Promise<void> {
    await this.db.query(`UPDATE staff SET keyboard_shortcuts = $2, updated_at = now() WHERE id = $1`, [staffId, on]);
  }

  /** A refused sign-in is audited without the address it was for: only a keyed hash (SPEC §5), and why. */
  private async refused(email: string, reason: 'credentials' | 'locked'): Promise<void> {
    const subject = createHmac('sha256', this.config.appSecret).update(`sign-in:${email.trim().toLowerCase()}`).digest('hex').slice(0, 32);
    await this.audit.record(this.db.manager, {
      inquiryId: null, actor: null, action: 'auth.sign-in-refused',
      changes: { subjectHash: { from: null, to: subject }, reason: { from: null, to: reason } },
    });
  }
}
