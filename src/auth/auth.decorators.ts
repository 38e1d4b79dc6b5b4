import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { StaffPrincipal } from './staff.entity.js';

export const PUBLIC_ROUTE = 'policyInbox:public';
export const ADMIN_ONLY = 'policyInbox:adminOnly';

/** Opts a route out of the global staff guard (public intake, health, docs, login). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Only staff with role `admin` (team leads) may call this route or controller; officers get 403. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

/** The signed-in staff member of this request. */
export const CurrentStaff = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): StaffPrincipal => ctx.switchToHttp().getRequest().staff,
);
