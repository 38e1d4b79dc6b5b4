import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { Unauthorized } from '../common/errors.js';
import { MetricsService } from './metrics.service.js';

export const METRICS_CHALLENGE = 'Bearer realm="Policy Inbox metrics"';

/**
 * `GET /metrics` for Prometheus, with METRICS_TOKEN as a bearer token (registered only when it is set, so
 * otherwise the path is a 404 like any unknown one). Outside the staff API and its OpenAPI document: it is for
 * a scraper, not for staff.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    if (!this.metrics.authorize(authorization)) {
      res.setHeader('WWW-Authenticate', METRICS_CHALLENGE);
      throw new Unauthorized('Send METRICS_TOKEN as a bearer token');
    }
    const body = await this.metrics.scrape();
    res.setHeader('Cache-Control', 'no-store');
    res.type(this.metrics.contentType).send(body);
  }
}
