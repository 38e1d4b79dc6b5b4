import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { AppConfig } from '../config/app-config.js';
import { Pages } from './pages.js';

/** `GET /`: the public form in production; elsewhere a start page linking every part of Policy Inbox (SPEC §8). */
@ApiExcludeController()
@Public()
@Controller()
export class StartController {
  constructor(private readonly pages: Pages, private readonly config: AppConfig) {}

  @Get()
  start(@Res() res: Response): void {
    if (this.config.nodeEnv === 'production') return res.redirect(303, '/contact');
    res.type('html').send(this.pages.render('start.njk'));
  }
}
