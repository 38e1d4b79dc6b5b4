import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController, ApiForbiddenResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { StaffPrincipal } from './staff.entity.js';

export const PUBLIC_ROUTE = 'policyInbox:public';
export const ADMIN_ONLY = 'policyInbox:adminOnly';

/** Opts a route out of the global staff guard (public intake, health, docs, login). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Only staff with role `admin` (team leads) may call this route or controller; officers get 403. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

/** A controller of the staff API, for every signed-in staff member: its OpenAPI tag, the bearer scheme, the 401. */
export const StaffApi = (tag: string) =>
  applyDecorators(ApiTags(tag), ApiBearerAuth('bearer'), ApiUnauthorizedResponse({ description: 'No valid bearer token' }));

/** A controller for admins only: StaffApi plus @AdminOnly() and the 403 officers get. */
export const AdminApi = (tag: string) =>
  applyDecorators(StaffApi(tag), AdminOnly(), ApiForbiddenResponse({ description: 'Needs the admin role' }));

/** The signed-in staff member of this request. */
export const CurrentStaff = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): StaffPrincipal => ctx.switchToHttp().getRequest().staff,
);

export const STAFF_PAGE = 'policyInbox:staffPage';

/**
 * A controller of the web inbox (`/admin/…` pages): signed in by session cookie instead of a bearer token, an
 * unsigned-in visit redirects to the sign-in page, and every post must carry the session's CSRF token.
 */
export const StaffWeb = () => applyDecorators(SetMetadata(STAFF_PAGE, true), ApiExcludeController());

/** A web inbox controller for admins only; officers get the 403 page. */
export const AdminWeb = () => applyDecorators(StaffWeb(), AdminOnly());

export const ENROLMENT_ROUTE = 'policyInbox:twoFactorEnrolment';

/**
 * A route an account may use before it has set up two-factor sign-in while REQUIRE_2FA is set (the enrolment
 * pages and API routes, and signing out). Every other route sends such an account to enrolment (pages: a 303 to
 * the set-up page; API: 403 with `twoFactorEnrolmentRequired: true`).
 */
export const TwoFactorEnrolment = () => SetMetadata(ENROLMENT_ROUTE, true);
