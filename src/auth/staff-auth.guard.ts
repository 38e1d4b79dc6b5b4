import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request } from 'express';
import { Repository } from 'typeorm';
import { timingSafeEqual } from 'node:crypto';
import { Forbidden, SignInRequired, Unauthorized } from '../common/errors.js';
import { ADMIN_ONLY, PUBLIC_ROUTE, STAFF_PAGE } from './auth.decorators.js';
import { SessionsService, WebSession } from './sessions.service.js';
import { Staff, StaffPrincipal } from './staff.entity.js';
import { TokensService } from './tokens.service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
 */
@Injectable()
export class StaffAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    @InjectRepository(Staff) private readonly staff: Repository<Staff>,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { staff?: StaffPrincipal; webSession?: WebSession }>();
    if (this.reflector.getAllAndOverride<boolean>(STAFF_PAGE, targets)) {
      const session = await this.sessions.resolve(req);
      if (!session) throw new SignInRequired(req.originalUrl);
      if (!SAFE_METHODS.has(req.method) && !sameToken(csrfTokenOf(req), session.csrfToken)) {
        throw new Forbidden('This form has expired or did not come from the Policy Inbox. Go back, reload the page and try again.');
      }
      req.webSession = session;
      req.staff = session.staff;
    } else {
      req.staff = await this.authenticate(req.headers.authorization);
    }
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && req.staff.role !== 'admin') {
      throw new Forbidden('This needs the admin role');
    }
    return true;
  }

  /** The staff member a bearer token belongs to; 401 for a missing, invalid or revoked token. */
  async authenticate(header: string | undefined): Promise<StaffPrincipal> {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header ?? '');
    const claims = match ? await this.tokens.verify(match[1]) : undefined;
    const member = claims ? await this.staff.findOneBy({ id: claims.sub }) : null;
    if (!claims || !member || !member.active || member.tokenVersion !== claims.ver) {
      throw new Unauthorized('Sign in to use the staff inbox');
    }
    return { id: member.id, email: member.email, name: member.name, role: member.role };
  }
}
