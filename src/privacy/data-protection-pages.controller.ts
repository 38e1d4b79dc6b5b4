import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AdminWeb } from '../auth/auth.decorators.js';
import { AppConfig } from '../config/app-config.js';
import { FieldError, InvalidInput } from '../common/errors.js';
import { ukDate } from '../inquiries/working-days.js';
import { StaffPages } from '../web/staff-pages.js';
import type { WebRequest } from '../web/web-request.js';
import { DataSubjectsService } from './data-subjects.service.js';
import { RetentionRunView } from './privacy.dto.js';
import { RetentionService } from './retention.service.js';
import { formText as text } from '../web/forms.js';

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' });
const TRIGGERS: Record<RetentionRunView['trigger'], string> = { scheduled: 'Daily schedule', manual: 'Run now by an admin' };
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The form fields of the page; two forms ask for an email address, so each has its own id. */
interface Forms {
  exportEmail?: string;
  eraseEmail?: string;
  eraseConfirmation?: string;
}

/** The service's field errors in the words of the page, under the id of the field on this page. */
function exportErrors(err: InvalidInput, typed: string): FieldError[] {
  return err.errors.slice(0, 1).map(() => ({ field: 'export-email', message: emailMessage(typed) }));
}

function erasureErrors(err: InvalidInput, typed: string): FieldError[] {
  return err.errors.slice(0, 1).map((e) => e.field === 'confirmation'
    ? {
      field: 'erase-confirmation',
      message: /same/.test(e.message) ? 'The two email addresses are not the same: type the address again exactly' : 'Type the email address again to confirm',
    }
    : { field: 'erase-email', message: emailMessage(typed) });
}

const emailMessage = (typed: string) =>
  (typed.trim() ? 'Enter an email address in the correct format, like name@example.org' : 'Enter the email address');

/** Data protection (admins): retention runs and "Run retention now"; subject access export and erasure. */
@AdminWeb()
@Controller('admin/data-protection')
export class DataProtectionPagesController {
  constructor(
    private readonly retention: RetentionService,
    private readonly subjects: DataSubjectsService,
    private readonly pages: StaffPages,
    private readonly config: AppConfig,
  ) {}

  @Get()
  show(@Req() req: WebRequest, @Res() res: Response, @Query('cursor') cursor: unknown): Promise<void> {
    return this.showPage(req, res, text(cursor) || undefined);
  }

  @Post('retention')
  async runNow(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const run = (await this.retention.run('manual'))!;
    await this.pages.redirect(req, res, '/admin/data-protection',
      `Retention has run: ${plural(run.anonymisedCount, 'inquiry', 'inquiries')} and ${plural(run.inboundAnonymisedCount, 'inbound message', 'inbound messages')} anonymised`);
  }

  /** Subject access: the JSON download. A post, so the address never appears in a URL or a log. */
  @Post('subject-access')
  async exportSubject(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const email = text((req.body as Record<string, unknown> | undefined)?.email);
    try {
      const data = await this.subjects.export(email, req.staff);
      res.status(200);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="subject-access-${ukDate(new Date())}.json"`);
      res.setHeader('Cache-Control', 'no-store');
      res.send(JSON.stringify(data, null, 2));
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      await this.showPage(req, res, undefined, 400, { exportEmail: email }, exportErrors(err, email));
    }
  }

  @Post('erasure')
  async erase(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const email = text(body.email);
    const confirmation = text(body.confirmation);
    try {
      const { inquiries, inboundEmails } = await this.subjects.eraseConfirmed(email, confirmation, req.staff);
      await this.pages.redirect(req, res, '/admin/data-protection', inquiries + inboundEmails
        ? `Erased: ${plural(inquiries, 'inquiry', 'inquiries')} and ${plural(inboundEmails, 'inbound email', 'inbound emails')} anonymised, and every other mention of the address replaced`
        : 'Erased: no inquiry or inbound email had that address; any other mention of it has been replaced');
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      await this.showPage(req, res, undefined, 400, { eraseEmail: email, eraseConfirmation: confirmation }, erasureErrors(err, email));
    }
  }

  private async showPage(req: WebRequest, res: Response, cursor?: string, status = 200, values: Forms = {}, errors: FieldError[] = []): Promise<void> {
    if (cursor !== undefined && !CURSOR.test(cursor)) throw new InvalidInput([{ field: 'cursor', message: 'cursor must be the nextCursor of a previous page' }]);
    const page = await this.retention.list(25, cursor);
    await this.pages.render(req, res, 'admin/data-protection.njk', {
      section: 'data-protection',
      retentionMonths: this.config.retentionMonths,
      runs: page.items.map((r) => ({
        ...r,
        started: when.format(r.startedAt),
        startedIso: new Date(r.startedAt).toISOString(),
        finished: r.finishedAt ? when.format(r.finishedAt) : null,
        cutoffText: when.format(r.cutoff),
        triggerText: TRIGGERS[r.trigger] ?? r.trigger,
      })),
      firstPage: !cursor,
      nextHref: page.nextCursor ? `/admin/data-protection?cursor=${encodeURIComponent(page.nextCursor)}` : null,
      values,
      errors,
    }, status);
  }
}
