import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { Repository } from 'typeorm';
import { timingSafeEqual } from 'node:crypto';
import { Forbidden, SignInRequired, Unauthorized } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { ADMIN_ONLY, ENROLMENT_ROUTE, PUBLIC_ROUTE, STAFF_PAGE } from './auth.decorators.js';
import { SessionsService, WebSession } from './sessions.service.js';
import { Staff, StaffPrincipal } from './staff.entity.js';
import { ENROLMENT_SCOPE, TokensService } from './tokens.service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Where an account that must set up two-factor sign-in (REQUIRE_2FA) is sent from every other page. */
export const TWO_FACTOR_SETUP_PATH = '/admin/account/two-factor';

/** An account under REQUIRE_2FA without two-factor sign-in asked for something other than enrolment. */
export class TwoFactorEnrolmentRequired extends Forbidden {
  constructor() {
    super('Set up two-factor sign-in first: POST /api/admin/auth/2fa/setup, then POST /api/admin/auth/2fa/enable with a code');
  }
}

/** The CSRF token of a post: the form's hidden `_csrf` field, or the `X-CSRF-Token` header of a script. */
function csrfTokenOf(req: Request): unknown {
  return (req.body as Record<string, unknown> | undefined)?._csrf ?? req.headers['x-csrf-token'];
}

function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/**
 * The global guard: every route needs a valid bearer token of an active staff member unless it is marked
 * @Public(); routes marked @AdminOnly() also need role admin. New routes are protected by default. Web inbox
 * pages (@StaffWeb) sign in by session cookie and check the session's CSRF token on every post.
 * Under REQUIRE_2FA an account without two-factor sign-in (and any token issued with the enrolment scope) gets
 * only the routes marked @TwoFactorEnrolment(): pages redirect to the set-up page, API routes answer 403.
 */
@Injectable()
export class StaffAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    @InjectRepository(Staff) private readonly staff: Repository<Staff>,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { staff?: StaffPrincipal; webSession?: WebSession }>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const enrolmentRoute = Boolean(this.reflector.getAllAndOverride<boolean>(ENROLMENT_ROUTE, targets));
    if (this.reflector.getAllAndOverride<boolean>(STAFF_PAGE, targets)) {
      const session = await this.sessions.resolve(req);
      if (!session) throw new SignInRequired(req.originalUrl);
      if (!SAFE_METHODS.has(req.method) && !sameToken(csrfTokenOf(req), session.csrfToken)) {
        throw new Forbidden('This form has expired or did not come from the Policy Inbox. Go back, reload the page and try again.');
      }
      req.webSession = session;
      req.staff = session.staff;
      if (this.config.require2fa && !session.twoFactor && !enrolmentRoute) {
        // The answer is the redirect; the error only stops the request (the error filter sees it already answered).
        res.setHeader('Cache-Control', 'no-store');
        res.redirect(303, TWO_FACTOR_SETUP_PATH);
        throw new TwoFactorEnrolmentRequired();
      }
    } else {
      const { staff, enrolmentOnly } = await this.authenticateToken(req.headers.authorization);
      req.staff = staff;
      if (enrolmentOnly && !enrolmentRoute) {
        const error = new TwoFactorEnrolmentRequired();
        res.status(403).json({ statusCode: 403, message: error.message, twoFactorEnrolmentRequired: true });
        throw error;
      }
    }
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && req.staff.role !== 'admin') {
      throw new Forbidden('This needs the admin role');
    }
    return true;
  }

  /**
   * The staff member a bearer token belongs to; 401 for a missing, invalid or revoked token, 403 for a token that
   * is good only for setting up two-factor sign-in (used by the queue dashboard, which is no enrolment route).
   */
  async authenticate(header: string | undefined): Promise<StaffPrincipal> {
    const { staff, enrolmentOnly } = await this.authenticateToken(header);
    if (enrolmentOnly) throw new TwoFactorEnrolmentRequired();
    return staff;
  }

  private async authenticateToken(header: string | undefined): Promise<{ staff: StaffPrincipal; enrolmentOnly: boolean }> {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header ?? '');
    const claims = match ? await this.tokens.verify(match[1]) : undefined;
    const member = claims ? await this.staff.findOneBy({ id: claims.sub }) : null;
    if (!claims || !member || !member.active || member.tokenVersion !== claims.ver) {
      throw new Unauthorized('Sign in to use the staff inbox');
    }
    // The claim limits a token issued before enrolment; the account check also covers a token issued before
    // REQUIRE_2FA was set, or after an admin reset.
    const enrolmentOnly = claims.scope === ENROLMENT_SCOPE || (this.config.require2fa && !member.twoFactorEnabledAt);
    return { staff: { id: member.id, email: member.email, name: member.name, role: member.role }, enrolmentOnly };
  }
}
