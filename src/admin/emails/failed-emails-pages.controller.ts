import { Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AdminWeb } from '../../auth/auth.decorators.js';
import { Conflict, FieldError } from '../../common/errors.js';
import { PageQuery } from '../../common/pagination.js';
import type { EmailKind } from '../../mail/outbound-email.entity.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import { EmailsService } from './emails.service.js';

/** Each kind of email as the page names it ("Retry the acknowledgement to …"). */
const KINDS: Record<EmailKind, string> = {
  acknowledgement: 'acknowledgement', routing: 'routing email', reply: 'reply', invitation: 'invitation',
  digest: 'digest', notification: 'notification',
};

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' });

/** Failed emails (admins): what the mail server refused, and "Retry" (same Message-ID, so no duplicate threads). */
@AdminWeb()
@Controller('admin/failed-emails')
export class FailedEmailsPagesController {
  constructor(private readonly emails: EmailsService, private readonly pages: StaffPages) {}

  @Get()
  list(@Req() req: WebRequest, @Res() res: Response, @Query() query: PageQuery): Promise<void> {
    return this.show(req, res, query.cursor);
  }

  @Post(':id/retry')
  async retry(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    try {
      const email = await this.emails.retry(id, req.staff);
      await this.pages.redirect(req, res, '/admin/failed-emails', `The ${KINDS[email.kind]} to ${email.to} will be sent again`);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      await this.show(req, res, undefined, 409, [{
        field: '', message: 'This email is no longer failed: someone has already retried it, or it has been sent. The list below is up to date.',
      }]);
    }
  }

  private async show(req: WebRequest, res: Response, cursor?: string, status = 200, errors: FieldError[] = []): Promise<void> {
    const page = await this.emails.list({ status: 'failed', cursor, limit: 25 });
    await this.pages.render(req, res, 'admin/failed-emails.njk', {
      section: 'failed-emails',
      emails: page.items.map((e) => ({ ...e, kindLabel: KINDS[e.kind], createdAtIso: e.createdAt.toISOString(), createdAtText: when.format(e.createdAt) })),
      nextHref: page.nextCursor ? `/admin/failed-emails?cursor=${encodeURIComponent(page.nextCursor)}` : null,
      laterPage: Boolean(cursor),
      errors,
    }, status);
  }
}
