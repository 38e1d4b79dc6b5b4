import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { FieldError, TooManyRequests, Unauthorized } from '../common/errors.js';
import { FormCsrf } from '../common/form-csrf.js';
import { AppConfig } from '../config/app-config.js';
import { StaffPages } from '../web/staff-pages.js';
import { safeNext, type WebRequest } from '../web/web-request.js';
import { Public, StaffWeb } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { SessionsService } from './sessions.service.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

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
    config: AppConfig,
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
      const member = await this.auth.verifyCredentials(email, password);
      await this.sessions.start(res, member);
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(303, next);
    } catch (err) {
      if (err instanceof Unauthorized) {
        return this.form(req, res, 401, { next, values: { email }, errors: [{ field: 'email', message: 'The email address or password is not right' }] });
      }
      if (err instanceof TooManyRequests) {
        const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
        return this.form(req, res, 429, { next, values: { email }, errors: [{
          field: 'email',
          message: `There have been too many failed attempts to sign in with this email address. Wait ${minutes} minute${minutes === 1 ? '' : 's'}, then try again.`,
        }] });
      }
      throw err;
    }
  }

  private async form(req: Request, res: Response, status: number, context: { next: string; signedOut?: boolean; values?: { email?: string }; errors?: FieldError[] }): Promise<void> {
    const errors = context.errors ?? [];
    await this.pages.render(req as WebRequest, res, 'admin/login.njk', {
      ...context,
      values: context.values ?? {},
      errors,
      errorFor: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      loginCsrf: this.csrf.token(req, res),
    }, status);
  }
}

/** "Sign out": a button (a post with the CSRF token), so no link or image elsewhere can sign anyone out. */
@StaffWeb()
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
