import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request } from 'express';
import { Repository } from 'typeorm';
import { Forbidden, Unauthorized } from '../common/errors.js';
import { ADMIN_ONLY, PUBLIC_ROUTE } from './auth.decorators.js';
import { Staff, StaffPrincipal } from './staff.entity.js';
import { TokensService } from './tokens.service.js';

/**
 * The global guard: every route needs a valid bearer token of an active staff member unless it is marked
 * @Public(); routes marked @AdminOnly() also need role admin. New routes are protected by default.
 */
@Injectable()
export class StaffAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    @InjectRepository(Staff) private readonly staff: Repository<Staff>,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { staff?: StaffPrincipal }>();
    req.staff = await this.authenticate(req.headers.authorization);
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
