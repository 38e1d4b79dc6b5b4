import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import type { FormView } from '../inquiries/contact-form.service.js';
import { Pages } from '../web/pages.js';
import { FeedbackFormService } from './feedback-form.service.js';

/** The plain /feedback page: "Rate this page" and "tell us what you think" without scripts (SPEC §11). */
@ApiExcludeController()
@Public()
@Controller('feedback')
export class FeedbackPageController {
  constructor(private readonly form: FeedbackFormService, private readonly pages: Pages) {}

  @Get()
  async show(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.send(res, await this.form.page(req, res));
  }

  @Post('rating')
  async rate(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.send(res, await this.form.rate(req, res));
  }

  @Post('comment')
  async comment(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.send(res, await this.form.comment(req, res));
  }

  private send(res: Response, page: FormView): void {
    res.setHeader('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(page.headers ?? {})) res.setHeader(k, v);
    if (page.redirect) return res.redirect(303, page.redirect);
    res.status(page.status).type('html').send(this.pages.render(page.view, page.context));
  }
}
