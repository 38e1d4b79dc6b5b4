import { Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AdminWeb } from '../auth/auth.decorators.js';
import { Conflict, FieldError, InvalidInput } from '../common/errors.js';
import { PageQuery } from '../common/pagination.js';
import { StaffPages } from '../web/staff-pages.js';
import type { WebRequest } from '../web/web-request.js';
import { InboundAdminService } from './inbound-admin.service.js';
import type { HoldReason } from './inbound-matcher.js';

/** Why a message waits here, in words an admin can act on. */
const HOLD_REASONS: Record<HoldReason, string> = {
  no_match: 'It does not name any of our inquiries.',
  subject_reference_only: 'Only its subject names a reference: it was not sent to an inquiry’s reply address and answers none of our emails.',
  bad_signature: 'It was sent to a reply address whose signature is not right, so it may not be genuine.',
  sender_mismatch: 'It answers an inquiry, but comes from an address other than the enquirer’s.',
  ambiguous: 'It names more than one inquiry.',
  anonymised: 'Its inquiry has been anonymised under the retention policy.',
};

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' });

/** The holding pen (admins): read a held message, attach it to an inquiry by reference. */
@AdminWeb()
@Controller('admin/holding-pen')
export class HoldingPenPagesController {
  constructor(private readonly inbound: InboundAdminService, private readonly pages: StaffPages) {}

  @Get()
  list(@Req() req: WebRequest, @Res() res: Response, @Query() query: PageQuery): Promise<void> {
    return this.show(req, res, query.cursor);
  }

  @Post(':id/attach')
  async attach(@Req() req: WebRequest, @Res() res: Response, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typeof body.reference === 'string' ? body.reference.trim() : '';
    const field = `reference-${id}`;
    if (!typed) return this.show(req, res, undefined, 400, [{ field, message: 'Enter the reference of the inquiry, like POL-7K3M9Q' }], { id, typed });
    try {
      const { message, reference } = await this.inbound.attachByReference(id, typed, req.staff);
      await this.pages.redirect(req, res, '/admin/holding-pen', `The message from ${message.from ?? 'an unknown sender'} is now on inquiry ${reference}`);
    } catch (err) {
      if (err instanceof InvalidInput) return this.show(req, res, undefined, 400, [{ field, message: 'No inquiry has this reference' }], { id, typed });
      if (err instanceof Conflict) {
        return this.show(req, res, undefined, 409, [{
          field: '', message: 'This message is no longer in the holding pen: someone else has attached it to an inquiry (or it is being processed again).',
        }]);
      }
      throw err;
    }
  }

  private async show(
    req: WebRequest, res: Response, cursor?: string, status = 200, errors: FieldError[] = [], typed?: { id: string; typed: string },
  ): Promise<void> {
    const page = await this.inbound.holdingPen({ cursor, limit: 25 });
    await this.pages.render(req, res, 'admin/holding-pen.njk', {
      section: 'holding-pen',
      messages: page.items.map((m) => ({
        ...m,
        reason: HOLD_REASONS[m.holdReason as HoldReason] ?? 'It could not be matched safely to an inquiry.',
        receivedAtIso: m.receivedAt.toISOString(),
        receivedAtText: when.format(m.receivedAt),
        typed: typed?.id === m.id ? typed.typed : '',
      })),
      nextHref: page.nextCursor ? `/admin/holding-pen?cursor=${encodeURIComponent(page.nextCursor)}` : null,
      laterPage: Boolean(cursor),
      errors,
    }, status);
  }
}
