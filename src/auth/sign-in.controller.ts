import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { FieldError, TooManyRequests, Unauthorized } from '../common/errors.js';
import { FormCsrf } from '../common/form-csrf.js';
import { AppConfig } from '../config/app-config.js';
import { StaffPages } from '../web/staff-pages.js';
import { safeNext, type WebRequest } from '../web/web-request.js';
import { Public, StaffWeb, TwoFactorEnrolment } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { SessionsService } from './sessions.service.js';
import { SignInChallenges } from './sign-in-challenges.js';
import { TWO_FACTOR_SETUP_PATH } from './staff-auth.guard.js';
import { CODE_FORMAT, CodeCheck, CodeRefusal, normaliseCode } from './two-factor.service.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

/** A refused security code in the words of the page (never saying more than the person already knows). */
const REFUSED: Record<CodeRefusal, string> = {
  wrong: 'The security code is not right. Enter the code your authenticator app shows now, or one of your recovery codes.',
  replayed: 'This security code has already been used. Wait for your authenticator app to show a new one, then enter that.',
  'secret-unreadable': 'Codes from your authenticator app cannot be checked at the moment. Use one of your recovery codes, or ask an admin to reset your two-factor sign-in.',
};

/** "Wait N minutes", with Retry-After set on the answer. */
function lockedMessage(res: Response, err: TooManyRequests): string {
  const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  return `There have been too many failed attempts to sign in with this email address. Wait ${minutes} minute${minutes === 1 ? '' : 's'}, then try again.`;
}

/**
 * Signing in to the web inbox (SPEC §8): `GET/POST /admin/login`, back to `next` when it is a path of ours, and
 * "Sign out". The same credential check and lock-out as the API's login; a server-side session instead of a token.
 */
@ApiExcludeController()
@Public()
@Controller('admin')
export class SignInController {
  private readonly csrf: FormCsrf;

  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly pages: StaffPages,
    private readonly challenges: SignInChallenges,
    private readonly config: AppConfig,
  ) {
    this.csrf = new FormCsrf(config.appSecret, config.publicBaseUrl);
  }

  @Get()
  root(@Res() res: Response): void {
    res.redirect(303, '/admin/inbox');
  }

  @Get('login')
  async show(@Req() req: Request, @Res() res: Response, @Query('next') next: unknown, @Query('signedOut') signedOut: unknown): Promise<void> {
    if (await this.sessions.resolve(req)) return res.redirect(303, safeNext(next));
    await this.form(req, res, 200, { next: safeNext(next), signedOut: signedOut === '1' });
  }

  @Post('login')
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    if (!this.csrf.valid(req)) {
      return this.form(req, res, 403, { next, values: { email }, errors: [{ field: 'email', message: 'The sign-in form had expired. Sign in again.' }] });
    }
    const errors: FieldError[] = [];
    if (!email) errors.push({ field: 'email', message: 'Enter your email address' });
    else if (!EMAIL.test(email) || email.length > 254) errors.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.org' });
    if (!password) errors.push({ field: 'password', message: 'Enter your password' });
    else if (password.length > 200) errors.push({ field: 'password', message: 'The email address or password is not right' });
    if (errors.length) return this.form(req, res, 400, { next, values: { email }, errors });
    try {
      const member = await this.auth.checkPassword(email, password);
      if (member.twoFactorEnabledAt) {
        // The password was right: the code step follows, with the state kept server-side (SignInChallenges).
        await this.challenges.start(res, member, next);
        res.setHeader('Cache-Control', 'no-store');
        return res.redirect(303, '/admin/login/security-code');
      }
      await this.auth.signedIn(member, null);
      await this.sessions.start(res, member);
      res.setHeader('Cache-Control', 'no-store');
      // Under REQUIRE_2FA an account without it can do nothing before it has set it up.
      res.redirect(303, this.config.require2fa ? TWO_FACTOR_SETUP_PATH : next);
    } catch (err) {
      if (err instanceof Unauthorized) {
        return this.form(req, res, 401, { next, values: { email }, errors: [{ field: 'email', message: 'The email address or password is not right' }] });
      }
      if (err instanceof TooManyRequests) {
        return this.form(req, res, 429, { next, values: { email }, errors: [{ field: 'email', message: lockedMessage(res, err) }] });
      }
      throw err;
    }
  }

  /** The "Security code" step, after the right password for an account with two-factor sign-in. */
  @Get('login/security-code')
  async showCode(@Req() req: Request, @Res() res: Response): Promise<void> {
    const challenge = await this.challenges.resolve(req);
    if (!challenge) {
      res.setHeader('Cache-Control', 'no-store');
      return res.redirect(303, '/admin/login');
    }
    await this.codeForm(req, res, 200);
  }

  @Post('login/security-code')
  async signInWithCode(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const raw = typeof body.code === 'string' ? body.code : '';
    if (!this.csrf.valid(req)) {
      return this.codeForm(req, res, 403, [{ field: 'code', message: 'The sign-in form had expired. Enter the security code again.' }]);
    }
    const challenge = await this.challenges.resolve(req);
    if (!challenge) {
      await this.challenges.end(req, res);
      return this.form(req, res, 401, { next: '/admin/inbox', errors: [{ field: 'email', message: 'The time to enter the security code ran out. Sign in again.' }] });
    }
    const code = normaliseCode(raw);
    if (!code) return this.codeForm(req, res, 400, [{ field: 'code', message: 'Enter the security code' }]);
    if (!CODE_FORMAT.test(code)) {
      return this.codeForm(req, res, 400, [{ field: 'code', message: 'Enter the 6-digit code from your authenticator app, or a recovery code like abcde-23456' }]);
    }
    let check: CodeCheck;
    try {
      check = await this.auth.checkSecondFactor(challenge.member, code);
    } catch (err) {
      if (!(err instanceof TooManyRequests)) throw err;
      return this.codeForm(req, res, 429, [{ field: 'code', message: lockedMessage(res, err) }]);
    }
    if (!check.ok) return this.codeForm(req, res, 401, [{ field: 'code', message: REFUSED[check.reason] }]);
    await this.challenges.end(req, res);
    await this.auth.signedIn(challenge.member, check.method);
    const left = check.recoveryCodesLeft;
    await this.sessions.start(res, challenge.member, check.method === 'recovery-code' ? {
      text: `You signed in with a recovery code. You have ${left} recovery code${left === 1 ? '' : 's'} left: make new ones on My account.`,
      kind: 'info',
    } : undefined);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, challenge.next);
  }

  private async codeForm(req: Request, res: Response, status: number, errors: FieldError[] = []): Promise<void> {
    await this.pages.render(req as WebRequest, res, 'admin/login-code.njk', {
      errors,
      loginCsrf: this.csrf.token(req, res),
    }, status);
  }

  private async form(req: Request, res: Response, status: number, context: { next: string; signedOut?: boolean; values?: { email?: string }; errors?: FieldError[] }): Promise<void> {
    const errors = context.errors ?? [];
    await this.pages.render(req as WebRequest, res, 'admin/login.njk', {
      ...context,
      values: context.values ?? {},
      errors,
      loginCsrf: this.csrf.token(req, res),
    }, status);
  }
}

/** "Sign out": a button (a post with the CSRF token), so no link or image elsewhere can sign anyone out. */
@StaffWeb()
@TwoFactorEnrolment()
@Controller('admin')
export class SignOutController {
  constructor(private readonly sessions: SessionsService) {}

  @Post('logout')
  async signOut(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    await this.sessions.end(req, res);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, '/admin/login?signedOut=1');
  }
}
