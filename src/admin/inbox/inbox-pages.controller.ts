import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { StaffWeb } from '../../auth/auth.decorators.js';
import { InvalidInput } from '../../common/errors.js';
import { ukDate } from '../../inquiries/working-days.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import { InboxListService } from './inbox-list.service.js';
import { inboxPageModel } from './inbox-page.js';

/**
 * The inbox page (SPEC §8): views with counts, filters, search, the table, next page, CSV. The query string is taken
 * as it comes (not through the global pipe) so that a bad parameter redraws this page with the error summary.
 */
@StaffWeb()
@Controller('admin/inbox')
export class InboxPagesController {
  constructor(private readonly inbox: InboxListService, private readonly pages: StaffPages) {}

  @Get()
  async show(@Req() req: WebRequest, @Res() res: Response, @Query() query: Record<string, unknown>): Promise<void> {
    await this.render(req, res, query);
  }

  @Get('export.csv')
  async exportCsv(@Req() req: WebRequest, @Res() res: Response, @Query() query: Record<string, unknown>): Promise<void> {
    let filters;
    try {
      filters = this.inbox.parsePageQuery(query);
    } catch (err) {
      if (err instanceof InvalidInput) return this.render(req, res, query);
      throw err;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="inquiries-${ukDate(new Date())}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    await this.inbox.exportCsv(filters, req.staff, res);
  }

  private async render(req: WebRequest, res: Response, query: Record<string, unknown>): Promise<void> {
    const data = await this.inbox.inboxPage(query, req.staff);
    await this.pages.render(req, res, 'admin/inbox.njk', { section: 'inbox', ...inboxPageModel(data) }, data.errors.length ? 400 : 200);
  }
}
