import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { StaffWeb } from '../../auth/auth.decorators.js';
import { InvalidInput } from '../../common/errors.js';
import { ukDate } from '../../inquiries/working-days.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import { InboxListService } from './inbox-list.service.js';
import { BulkSelection, BulkService } from './bulk.service.js';
import { inboxPageModel, parseBulkForm, ukDateTime } from './inbox-page.js';

/**
 * The inbox page (SPEC §8): views with counts, filters, search, the table, next page, CSV. The query string is taken
 * as it comes (not through the global pipe) so that a bad parameter redraws this page with the error summary.
 */
@StaffWeb()
@Controller('admin/inbox')
export class InboxPagesController {
  constructor(private readonly inbox: InboxListService, private readonly pages: StaffPages, private readonly bulk: BulkService) {}

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

  /**
   * The bulk form around the list (SPEC §9): the ticked rows or every inquiry matching the list, then a change or a
   * snooze; back to the same list with the result in words. Synchronous (see BulkService), so no job page is needed.
   */
  @Post('bulk')
  async bulkChange(@Req() req: WebRequest, @Res() res: Response, @Body() body: Record<string, unknown>): Promise<void> {
    const parsed = parseBulkForm(body ?? {});
    if ('problem' in parsed) return this.pages.redirect(req, res, parsed.back, { text: parsed.problem, kind: 'info' });
    const { form } = parsed;
    let notice: string;
    try {
      const selection: BulkSelection = form.ids ? { ids: form.ids } : { filter: this.inbox.parsePageQuery(form.filter) };
      if (form.action.kind === 'change') {
        notice = (await this.bulk.apply(selection, BulkService.changesOf(form.action.changes), req.staff)).summary;
      } else {
        const result = await this.bulk.snooze(selection, form.action.when, req.staff);
        notice = snoozeSummary(result.snoozed, result.until, result.failed.map((f) => f.reason));
      }
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      notice = `Nothing changed: ${err.errors.map((e) => e.message).join('; ')}`;
    }
    await this.pages.redirect(req, res, form.back, notice);
  }

  private async render(req: WebRequest, res: Response, query: Record<string, unknown>): Promise<void> {
    const data = await this.inbox.inboxPage(query, req.staff);
    await this.pages.render(req, res, 'admin/inbox.njk', { section: 'inbox', ...inboxPageModel(data) }, data.errors.length ? 400 : 200);
  }
}

/** "3 snoozed until 2 Dec 2026, 09:00; 1 could not: Only new, open and waiting inquiries can be snoozed; this one is resolved". */
function snoozeSummary(snoozed: number, until: string | null, reasons: string[]): string {
  const parts = [until ? `${snoozed.toLocaleString('en-GB')} snoozed until ${ukDateTime(until)} (UK time)` : `${snoozed} snoozed`];
  const byReason = new Map<string, number>();
  for (const r of reasons) byReason.set(r, (byReason.get(r) ?? 0) + 1);
  for (const [reason, n] of byReason) parts.push(`${n.toLocaleString('en-GB')} could not: ${reason}`);
  return parts.join('; ');
}
