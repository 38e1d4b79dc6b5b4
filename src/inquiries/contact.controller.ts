import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { ContactFormService, FormView } from './contact-form.service.js';
import { Pages } from '../web/pages.js';

/** The public pages: the "Email the team" form, its confirmation and the privacy notice. */
@ApiExcludeController()
@Public()
@Controller()
export class ContactController {
  constructor(private readonly form: ContactFormService, private readonly pages: Pages) {}

  @Get('contact')
  async show(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.send(res, await this.form.blank(req, res));
  }

  @Post('contact')
  async submit(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.send(res, await this.form.submit(req, res));
  }

  @Get('contact/confirmation')
  confirmation(@Query('receipt') receipt: unknown, @Res() res: Response): void {
    this.send(res, this.form.confirmation(receipt));
  }

  @Get('privacy')
  privacy(@Res() res: Response): void {
    this.send(res, { status: 200, view: 'privacy.njk', context: {} });
  }

  private send(res: Response, page: FormView): void {
    res.setHeader('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(page.headers ?? {})) res.setHeader(k, v);
    if (page.redirect) return res.redirect(303, page.redirect);
    res.status(page.status).type('html').send(this.pages.render(page.view, page.context));
  }
}
