import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Conflict, FieldError, InvalidInput, TooManyRequests } from '../common/errors.js';
import { StaffPages } from '../web/staff-pages.js';
import type { WebRequest } from '../web/web-request.js';
import { StaffWeb, TwoFactorEnrolment } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js';
import { SessionsService } from './sessions.service.js';
import { groupedKey } from './totp.js';
import { CODE_FORMAT, CodeRefused, normaliseCode, TwoFactorService } from './two-factor.service.js';
import { formText as text } from '../web/forms.js';

const ROLES: Record<string, string> = { admin: 'Admin (team lead)', officer: 'Policy officer' };

/** The service's field errors in the words of the page. */
const MESSAGES: Record<string, (message: string) => string> = {
  currentPassword: (m) => (/required/.test(m) ? 'Enter your current password' : 'Your current password is not right'),
  newPassword: (m) => (/different/.test(m)
    ? 'Your new password must be different from your current one'
    : `Enter a new password of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`),
};

/** A refused code on this page, in its words. */
const CODE_MESSAGES: Record<CodeRefused['reason'], string> = {
  wrong: 'The security code is not right. Enter the code your authenticator app shows now.',
  replayed: 'This security code has already been used. Wait for your authenticator app to show a new one, then enter that.',
  'secret-unreadable': 'Codes from your authenticator app cannot be checked any more. Enter one of your recovery codes instead.',
};

const since = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'Europe/London' });


/** My account (all staff): who I am, changing my password, and two-factor sign-in (set up, recovery codes, turn off). */
@StaffWeb()
@Controller('admin/account')
export class AccountPagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly twoFactor: TwoFactorService,
    private readonly pages: StaffPages,
  ) {}

  @Get()
  show(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    return this.showPage(req, res);
  }

  /**
   * Changing the password ends every session of the account (token_version), this one included; this browser
   * then gets a fresh session, so the person stays signed in here and nowhere else.
   */
  @Post('password')
  async changePassword(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const current = text(body.currentPassword);
    const next = text(body.newPassword);
    const again = text(body.confirmPassword);
    // Typing it twice is the form's own check: the service takes one new password.
    if (next && next !== again) {
      return this.showPage(req, res, 400, [{
        field: 'confirmPassword', message: again ? 'The new passwords are not the same: type the new password again' : 'Type the new password again',
      }]);
    }
    try {
      const member = await this.auth.changePassword(req.staff.id, current, next);
      // The notice belongs to the new session (the old one has just ended).
      await this.sessions.start(res, member, { text: 'Your password has been changed' });
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, '/admin/account');
    } catch (err) {
      if (err instanceof TooManyRequests) {
        return this.showPage(req, res, 429, [{ field: 'currentPassword', message: lockedMessage(res, err, 'wrong passwords') }]);
      }
      if (!(err instanceof InvalidInput)) throw err;
      await this.showPage(req, res, 400, err.errors.map((e) => ({ field: e.field, message: MESSAGES[e.field]?.(e.message) ?? e.message })));
    }
  }

  /** "Keyboard shortcuts": on or off for this person (WCAG 2.1.4); the layout then tells public/shortcuts.js. */
  @Post('shortcuts')
  async setShortcuts(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const choice = text((req.body as Record<string, unknown> | undefined)?.shortcuts);
    if (choice !== 'on' && choice !== 'off') {
      return this.showPage(req, res, 400, [{ field: 'shortcuts-on', message: 'Choose whether keyboard shortcuts are on or off' }]);
    }
    await this.auth.setShortcuts(req.staff.id, choice === 'on');
    await this.pages.redirect(req, res, '/admin/account', choice === 'on' ? 'Keyboard shortcuts are on' : 'Keyboard shortcuts are off');
  }

  /**
   * "Set up two-factor sign-in": the QR code and the key of a pending secret (the same one on a reload), and the
   * field for the first code. Under REQUIRE_2FA every other page sends an account without 2FA here.
   */
  @Get('two-factor')
  @TwoFactorEnrolment()
  async setup(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    return this.setupPage(req, res);
  }

  /**
   * The first code turns it on. The recovery codes are shown in this answer and never again. Turning it on ends
   * every other session (token_version), so this browser gets a fresh one, as after a password change.
   */
  @Post('two-factor')
  @TwoFactorEnrolment()
  async enable(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const code = normaliseCode(text((req.body as Record<string, unknown> | undefined)?.code));
    if (!code) return this.setupPage(req, res, 400, [{ field: 'code', message: 'Enter the 6-digit security code from your authenticator app' }]);
    if (!/^\d{6}$/.test(code)) return this.setupPage(req, res, 400, [{ field: 'code', message: 'Enter the security code as 6 digits, like 123456' }]);
    let enabled: { recoveryCodes: string[]; tokenVersion: number };
    try {
      enabled = await this.twoFactor.enable(req.staff, code);
    } catch (err) {
      if (err instanceof Conflict) return this.pages.redirect(req, res, '/admin/account', 'Two-factor sign-in is already on');
      if (!(err instanceof InvalidInput)) throw err;
      const message = err instanceof CodeRefused
        ? 'The security code is not right. Check the app shows the Policy Inbox account you have just added, and enter the code it shows now.'
        : 'The set-up had expired. Scan the new QR code below, or type the new setup key, then enter the code.';
      return this.setupPage(req, res, 400, [{ field: 'code', message }]);
    }
    const session = await this.sessions.start(res, { id: req.staff.id, tokenVersion: enabled.tokenVersion });
    req.webSession = { ...req.webSession, ...session, flash: null, twoFactor: true };
    await this.pages.render(req, res, 'admin/two-factor-recovery-codes.njk', { section: 'account', recoveryCodes: enabled.recoveryCodes, justEnabled: true });
  }

  /** New recovery codes, after a current code: shown in this answer only. */
  @Post('two-factor/recovery-codes')
  async newRecoveryCodes(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const code = normaliseCode(text((req.body as Record<string, unknown> | undefined)?.code));
    const problem = codeProblem(code);
    if (problem) return this.showPage(req, res, 400, [{ field: 'recovery-code', message: problem }]);
    try {
      const recoveryCodes = await this.twoFactor.newRecoveryCodes(req.staff, code);
      await this.pages.render(req, res, 'admin/two-factor-recovery-codes.njk', { section: 'account', recoveryCodes, justEnabled: false });
    } catch (err) {
      await this.codeActionFailed(req, res, err, 'recovery-code');
    }
  }

  /** "Turn off two-factor sign-in", after a fresh code; not offered, and refused (403), while REQUIRE_2FA is set. */
  @Post('two-factor/disable')
  async disable(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const code = normaliseCode(text((req.body as Record<string, unknown> | undefined)?.code));
    const problem = codeProblem(code);
    if (problem && !this.twoFactor.required) return this.showPage(req, res, 400, [{ field: 'disable-code', message: problem }]);
    try {
      await this.twoFactor.disable(req.staff, code);
      await this.pages.redirect(req, res, '/admin/account', 'Two-factor sign-in is off. Signing in now needs only your password.');
    } catch (err) {
      await this.codeActionFailed(req, res, err, 'disable-code');
    }
  }

  private async codeActionFailed(req: WebRequest, res: Response, err: unknown, field: string): Promise<void> {
    if (err instanceof TooManyRequests) return this.showPage(req, res, 429, [{ field, message: lockedMessage(res, err, 'wrong passwords or codes') }]);
    if (err instanceof CodeRefused) return this.showPage(req, res, 400, [{ field, message: CODE_MESSAGES[err.reason] }]);
    if (err instanceof Conflict) return this.pages.redirect(req, res, '/admin/account', 'Two-factor sign-in is not on');
    throw err;
  }

  private async setupPage(req: WebRequest, res: Response, status = 200, errors: FieldError[] = []): Promise<void> {
    let setup: { secret: string; otpauthUrl: string };
    try {
      setup = await this.twoFactor.setup(req.staff, { fresh: false });
    } catch (err) {
      if (err instanceof Conflict) return this.pages.redirect(req, res, '/admin/account');
      throw err;
    }
    const svg = await this.twoFactor.qrCodeSvg(setup.otpauthUrl);
    await this.pages.render(req, res, 'admin/two-factor-setup.njk', {
      section: 'account', required: this.twoFactor.required, groupedSecret: groupedKey(setup.secret),
      qrDataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
      errors,
    }, status);
  }

  private async showPage(req: WebRequest, res: Response, status = 200, errors: FieldError[] = []): Promise<void> {
    const twoFactor = await this.twoFactor.status(req.staff.id);
    await this.pages.render(req, res, 'admin/account.njk', {
      section: 'account', role: ROLES[req.staff.role] ?? req.staff.role, passwordMin: PASSWORD_MIN, passwordMax: PASSWORD_MAX,
      twoFactor, twoFactorSince: twoFactor.enabledAt ? since.format(twoFactor.enabledAt) : null,
      errors,
    }, status);
  }
}

/** What is wrong with a typed code before it is checked, or null. */
function codeProblem(code: string): string | null {
  if (!code) return 'Enter the security code from your authenticator app';
  if (!CODE_FORMAT.test(code)) return 'Enter the 6-digit security code from your authenticator app, or a recovery code like abcde-23456';
  return null;
}

function lockedMessage(res: Response, err: TooManyRequests, what: string): string {
  const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  return `There have been too many ${what} for your account. Wait ${minutes} minute${minutes === 1 ? '' : 's'}, then try again.`;
}
