import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { NotFound } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { Pages } from '../web/pages.js';

export const EXAMPLE_PATH = '/example/cancer-services-in-england';
/** The topic whose team answers questions from this page ("Waiting times and cancer services"). */
export const EXAMPLE_TOPIC = 'waiting-times';

/**
 * The seed page made real, outside production (SPEC §11): "Cancer services in England" as a charity's CMS would
 * serve it, with its "Contact us — Email the team" link to the prefilled form and the rating widget embedded
 * with the one script tag a charity would paste.
 */
@ApiExcludeController()
@Public()
@Controller()
export class ExamplePageController {
  constructor(private readonly pages: Pages, private readonly config: AppConfig) {}

  @Get(EXAMPLE_PATH.slice(1))
  show(@Res() res: Response): void {
    if (this.config.nodeEnv === 'production') throw new NotFound('There is no example page in production');
    const base = this.config.publicBaseUrl;
    const pageUrl = `${base}${EXAMPLE_PATH}`;
    res.type('html').send(this.pages.render('example-cancer-services.njk', {
      base,
      pageUrl,
      contactHref: `${base}/contact?topic=${EXAMPLE_TOPIC}&source=${encodeURIComponent(pageUrl)}`,
      feedbackHref: `${base}/feedback?url=${encodeURIComponent(pageUrl)}`,
    }));
  }
}
