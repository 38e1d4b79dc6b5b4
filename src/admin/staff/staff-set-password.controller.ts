import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { SetPasswordDto } from '../../auth/auth.dto.js';
import { Public } from '../../auth/auth.decorators.js';
import { AuthService } from '../../auth/auth.service.js';
import { InvitationsService } from '../../auth/invitations.service.js';
import { FieldError, InvalidInput } from '../../common/errors.js';
import { fieldErrors } from '../../common/validation.js';
import { Pages } from '../../web/pages.js';

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;
const MESSAGES: Record<string, string> = {
  password: 'Enter a password of 12 to 200 characters',
  confirmPassword: 'Type the same password again',
};

/**
 * The page an invitation email links to (`/admin/set-password?token=…`): a plain form that works without
 * JavaScript and calls the same service as `POST /api/admin/auth/set-password`. The token is the secret,
 * so no separate CSRF token is needed.
 */
@ApiExcludeController()
@Public()
@Controller('admin/set-password')
export class SetPasswordPageController {
  constructor(
    private readonly auth: AuthService,
    private readonly invitations: InvitationsService,
    private readonly db: DataSource,
    private readonly pages: Pages,
  ) {}

  @Get()
  async show(@Query('token') token: unknown, @Res() res: Response): Promise<void> {
    const open = typeof token === 'string' && TOKEN.test(token) && (await this.invitations.isOpen(this.db.manager, token));
    this.render(res, open ? 200 : 404, { linkOpen: open, token: open ? token : '' });
  }

  @Post()
  async submit(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const dto = plainToInstance(SetPasswordDto, { token: body.token, password: body.password });
    const errors: FieldError[] = fieldErrors(await validate(dto));
    if (errors.some((e) => e.field === 'token')) return this.render(res, 400, { linkOpen: false });
    if (!errors.length && body.confirmPassword !== body.password) errors.push({ field: 'confirmPassword', message: MESSAGES.confirmPassword });
    if (errors.length) {
      const friendly = errors.map((e) => ({ field: e.field, message: MESSAGES[e.field] ?? e.message }));
      return this.render(res, 400, { linkOpen: true, token: dto.token, errors: friendly, errorFor: Object.fromEntries(friendly.map((e) => [e.field, e.message])) });
    }
    try {
      await this.auth.setPassword(dto);
    } catch (err) {
      if (err instanceof InvalidInput) return this.render(res, 400, { linkOpen: false });
      throw err;
    }
    this.render(res, 200, { done: true });
  }

  private render(res: Response, status: number, context: Record<string, unknown>): void {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.status(status).type('html').send(this.pages.render('set-password.njk', { errorFor: {}, ...context }));
  }
}
