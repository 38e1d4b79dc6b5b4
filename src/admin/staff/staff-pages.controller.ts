import { Controller, Get, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Response } from 'express';
import { AdminWeb } from '../../auth/auth.decorators.js';
import { ROLES } from '../../auth/staff.entity.js';
import { Conflict, FieldError, Unprocessable } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { fieldErrors } from '../../common/validation.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import { CreateStaffDto, StaffAccountView, UpdateStaffDto } from './staff.dto.js';
import { StaffService } from './staff.service.js';

/** The invitation form's fields, in the order the page shows them. */
const FIELDS = ['name', 'email', 'role'] as const;
type InviteForm = Record<(typeof FIELDS)[number], string>;

const MESSAGES: Record<string, (typed: string) => string> = {
  name: (typed) => (typed ? 'Enter a name of 200 characters or fewer, on one line' : 'Enter their name'),
  email: (typed) => (typed ? 'Enter an email address in the correct format, like name@charity.example' : 'Enter their email address'),
  role: () => 'Select a role',
};

const ROLE_LABELS: Record<string, string> = { officer: 'Policy officer', admin: 'Admin (team lead)' };

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/**
 * Staff (admins): who has an account, invite someone, change a role, deactivate or reactivate, a new invitation,
 * and reset someone's two-factor sign-in.
 */
@AdminWeb()
@Controller('admin/staff')
export class StaffPagesController {
  constructor(private readonly staff: StaffService, private readonly pages: StaffPages, private readonly config: AppConfig) {}

  @Get()
  list(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    return this.show(req, res);
  }

  /** "Invite someone": an account without a password, and an invitation email (through the outbox) to set one. */
  @Post()
  async invite(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = Object.fromEntries(FIELDS.map((f) => [f, text(body[f])])) as InviteForm;
    const dto = plainToInstance(CreateStaffDto, { ...form });
    const found = fieldErrors(await validate(dto));
    const errors = FIELDS.flatMap((f) => found.filter((e) => e.field === f).slice(0, 1))
      .map((e) => ({ field: e.field, message: MESSAGES[e.field](form[e.field as keyof InviteForm]) }));
    if (errors.length) return this.show(req, res, 400, form, errors);
    try {
      const member = await this.staff.create(dto, req.staff);
      await this.pages.redirect(req, res, '/admin/staff', `Invitation sent to ${member.name} at ${member.email}`);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      await this.show(req, res, 409, form, [{ field: 'email', message: 'This email address already has a staff account' }]);
    }
  }

  @Post(':id/role')
  async changeRole(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const role = text((req.body as Record<string, unknown> | undefined)?.role);
    if (!(ROLES as readonly string[]).includes(role)) {
      return this.show(req, res, 400, undefined, [{ field: `role-${id}`, message: 'Select a role' }]);
    }
    await this.change(req, res, id, { role: role as UpdateStaffDto['role'] },
      (m) => `${m.name} is now ${m.role === 'admin' ? 'an admin (team lead)' : 'a policy officer'}`);
  }

  /** Deactivating ends the person's sessions at once: the service bumps token_version, which every session carries. */
  @Post(':id/deactivate')
  deactivate(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.change(req, res, id, { active: false }, (m) => `${m.name} has been deactivated and signed out everywhere`);
  }

  @Post(':id/reactivate')
  reactivate(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.change(req, res, id, { active: true }, (m) => `${m.name} can sign in again`);
  }

  @Post(':id/invitation')
  async reinvite(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    try {
      const member = await this.staff.reinvite(id, req.staff);
      await this.pages.redirect(req, res, '/admin/staff', `A new invitation has been sent to ${member.name} at ${member.email}`);
    } catch (err) {
      if (!(err instanceof Unprocessable)) throw err;
      await this.show(req, res, 422, undefined, [{ field: `staff-${id}`, message: 'This account is deactivated: reactivate it before sending a new invitation' }]);
    }
  }

  /** "Reset two-factor sign-in": a page that asks to confirm (it works without JavaScript), then the reset. */
  @Get(':id/two-factor/reset')
  async confirmResetTwoFactor(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const member = await this.staff.get(id);
    if (!member.twoFactor || member.id === req.staff.id) return this.pages.redirect(req, res, '/admin/staff');
    await this.pages.render(req, res, 'admin/two-factor-reset.njk', { section: 'staff', member, required: this.config.require2fa });
  }

  /** Resetting ends the person's sessions and tokens at once; they sign in with their password and set it up again. */
  @Post(':id/two-factor/reset')
  async resetTwoFactor(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    try {
      const member = await this.staff.resetTwoFactor(id, req.staff);
      await this.pages.redirect(req, res, '/admin/staff',
        `Two-factor sign-in of ${member.name} has been reset and they have been signed out everywhere. They can sign in with their password and set it up again.`);
    } catch (err) {
      if (!(err instanceof Unprocessable)) throw err;
      await this.show(req, res, 422, undefined, [{
        field: `staff-${id}`,
        message: id === req.staff.id
          ? 'You cannot reset your own two-factor sign-in. Turn it off on My account, or ask another admin.'
          : 'This account does not have two-factor sign-in turned on, so there is nothing to reset.',
      }]);
    }
  }

  private async change(
    req: WebRequest, res: Response, id: string, dto: UpdateStaffDto, done: (m: StaffAccountView) => string,
  ): Promise<void> {
    try {
      const member = await this.staff.update(id, dto, req.staff);
      await this.pages.redirect(req, res, '/admin/staff', done(member));
    } catch (err) {
      if (!(err instanceof Unprocessable)) throw err;
      await this.show(req, res, 422, undefined, [{
        field: `staff-${id}`,
        message: 'You cannot deactivate your own account or remove your own admin role. Ask another admin to do it.',
      }]);
    }
  }

  private async show(req: WebRequest, res: Response, status = 200, values: Partial<InviteForm> = { role: 'officer' }, errors: FieldError[] = []): Promise<void> {
    await this.pages.render(req, res, 'admin/staff.njk', {
      section: 'staff',
      accounts: await this.staff.list(),
      roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
      roleLabels: ROLE_LABELS,
      values,
      errors,
    }, status);
  }
}
