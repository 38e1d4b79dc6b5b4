import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { FieldError, InvalidInput, TooManyRequests } from '../common/errors.js';
import { StaffPages } from '../web/staff-pages.js';
import type { WebRequest } from '../web/web-request.js';
import { StaffWeb } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js';
import { SessionsService } from './sessions.service.js';

const ROLES: Record<string, string> = { admin: 'Admin (team lead)', officer: 'Policy officer' };

/** The service's field errors in the words of the page. */
const MESSAGES: Record<string, (message: string) => string> = {
  currentPassword: (m) => (/required/.test(m) ? 'Enter your current password' : 'Your current password is not right'),
  newPassword: (m) => (/different/.test(m)
    ? 'Your new password must be different from your current one'
    : `Enter a new password of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`),
};

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** My account (all staff): who I am, and changing my password. */
@StaffWeb()
@Controller('admin/account')
export class AccountPagesController {
  constructor(private readonly auth: AuthService, private readonly sessions: SessionsService, private readonly pages: StaffPages) {}

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
        const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
        return this.showPage(req, res, 429, [{
          field: 'currentPassword',
          message: `There have been too many wrong passwords for your account. Wait ${minutes} minute${minutes === 1 ? '' : 's'}, then try again.`,
        }]);
      }
      if (!(err instanceof InvalidInput)) throw err;
      await this.showPage(req, res, 400, err.errors.map((e) => ({ field: e.field, message: MESSAGES[e.field]?.(e.message) ?? e.message })));
    }
  }

  private async showPage(req: WebRequest, res: Response, status = 200, errors: FieldError[] = []): Promise<void> {
    await this.pages.render(req, res, 'admin/account.njk', {
      section: 'account', role: ROLES[req.staff.role] ?? req.staff.role, passwordMin: PASSWORD_MIN, passwordMax: PASSWORD_MAX,
      errors, errorFor: Object.fromEntries(errors.map((e) => [e.field, e.message])),
    }, status);
  }
}
