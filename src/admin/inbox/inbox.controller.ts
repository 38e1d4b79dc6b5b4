import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse,
  ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse, ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentStaff } from '../../auth/auth.decorators.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import {
  DraftBodyDto, DraftView, InboxFilterDto, InboxListQueryDto, NoteBodyDto, ReplyBodyDto, StaleConversationBody, UpdateInquiryDto,
} from './inbox.dto.js';
import { DraftsService } from './drafts.service.js';
import { BulkRequestDto, BulkResult, SnoozeDto } from './inbox.dto.js';
import { BulkService } from './bulk.service.js';
import { SnoozeService, SnoozeState } from './snooze.service.js';
import { InboxConversationService, StaleConversation } from './inbox-conversation.service.js';
import { InboxListService } from './inbox-list.service.js';
import { InboxService } from './inbox.service.js';
import {
  AuditEventView, InboxPage, InboxStats, InquiryDetail, NoteView, ReplyAccepted,
} from './inbox-views.js';
import { ukDate } from '../../inquiries/working-days.js';

/** The shared inbox (SPEC §5): list, export, detail, triage, notes, replies, audit trail and stats. */
@ApiTags('inbox')
@ApiBearerAuth('bearer')
@ApiUnauthorizedResponse({ description: 'No valid token' })
@Controller('api/admin')
export class InboxController {
  constructor(
    private readonly list: InboxListService,
    private readonly inbox: InboxService,
    private readonly conversation: InboxConversationService,
    private readonly drafts: DraftsService,
    private readonly bulk: BulkService,
    private readonly snooze: SnoozeService,
  ) {}

  // Declared before `inquiries/:id`. Synchronous: see BulkService for the measurement.
  @Post('inquiries/bulk')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change many inquiries at once (ids or every inquiry matching a filter), each under its own rules' })
  @ApiOkResponse({ type: BulkResult, description: 'What changed; the inquiries that could not change are in failed, with why' })
  @ApiBadRequestResponse({ description: 'Neither or both of ids and filter, no change, a bad field, or a filter matching more than 5000' })
  bulkChange(@Body() dto: BulkRequestDto, @CurrentStaff() staff: StaffPrincipal): Promise<BulkResult> {
    return this.bulk.apply(BulkService.selection(dto), dto.changes, staff);
  }

  @Post('inquiries/:id/snooze')
  @HttpCode(200)
  @ApiOperation({ summary: 'Snooze an inquiry until a time: hidden from the working views until then, or until the enquirer answers' })
  @ApiOkResponse({ type: SnoozeState })
  @ApiBadRequestResponse({ description: 'until must be a date and time in the future' })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  @ApiUnprocessableEntityResponse({ description: 'Only new, open and waiting inquiries can be snoozed' })
  snoozeInquiry(@Param('id') id: string, @Body() dto: SnoozeDto, @CurrentStaff() staff: StaffPrincipal): Promise<SnoozeState> {
    return this.snooze.snooze(id, { at: dto.until }, staff);
  }

  @Delete('inquiries/:id/snooze')
  @ApiOperation({ summary: 'Wake a snoozed inquiry now' })
  @ApiOkResponse({ type: SnoozeState })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  unsnoozeInquiry(@Param('id') id: string, @CurrentStaff() staff: StaffPrincipal): Promise<SnoozeState> {
    return this.snooze.wake(id, staff);
  }

  @Get('inquiries')
  @ApiOperation({ summary: 'The inbox, newest first, filtered; cursor-paginated' })
  @ApiOkResponse({ type: InboxPage })
  @ApiBadRequestResponse({ description: 'Lists every bad query parameter (a bad cursor included)' })
  listInquiries(@Query() query: InboxListQueryDto, @CurrentStaff() staff: StaffPrincipal): Promise<InboxPage> {
    return this.list.list(query, staff);
  }

  // Declared before `inquiries/:id`, which would otherwise take `export.csv` for an id.
  @Get('inquiries/export.csv')
  @ApiOperation({ summary: 'Every inquiry matching the inbox filters, as CSV (streamed; no message bodies)' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'CSV with a header row', schema: { type: 'string' } })
  @ApiBadRequestResponse({ description: 'Lists every bad query parameter' })
  async exportCsv(@Query() filters: InboxFilterDto, @CurrentStaff() staff: StaffPrincipal, @Res() res: Response): Promise<void> {
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="inquiries-${ukDate(new Date())}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    await this.list.exportCsv(filters, staff, res);
  }

  @Get('inquiries/:id')
  @ApiOperation({ summary: 'One inquiry (by id or reference) with its conversation, notes, emails and version' })
  @ApiOkResponse({ type: InquiryDetail })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  detail(@Param('id') id: string): Promise<InquiryDetail> {
    return this.inbox.detail(id);
  }

  @Patch('inquiries/:id')
  @ApiOperation({ summary: 'Triage: status, priority, assignee, topic, tags (optimistic concurrency on version)' })
  @ApiOkResponse({ type: InquiryDetail })
  @ApiBadRequestResponse({ description: 'Lists every bad field (an inactive assignee or topic included)' })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  @ApiConflictResponse({ description: 'version is stale: someone else changed the inquiry first' })
  @ApiUnprocessableEntityResponse({ description: 'The workflow forbids this status change' })
  update(@Param('id') id: string, @Body() dto: UpdateInquiryDto, @CurrentStaff() staff: StaffPrincipal): Promise<InquiryDetail> {
    return this.inbox.update(id, dto, staff);
  }

  @Post('inquiries/:id/notes')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add an internal note (never emailed); with seenUpTo, only if nothing newer arrived' })
  @ApiCreatedResponse({ type: NoteView })
  @ApiBadRequestResponse({ description: 'body must be 1-10000 characters; seenUpTo names no item of this inquiry' })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  @ApiConflictResponse({ type: StaleConversationBody, description: 'A message, reply or note newer than seenUpTo exists; nothing was stored' })
  async addNote(
    @Param('id') id: string, @Body() dto: NoteBodyDto, @CurrentStaff() staff: StaffPrincipal, @Res({ passthrough: true }) res: Response,
  ): Promise<NoteView | StaleConversationBody> {
    try {
      return await this.conversation.addNote(id, dto.body, staff, dto.seenUpTo);
    } catch (err) {
      return staleBody(err, res);
    }
  }

  @Post('inquiries/:id/replies')
  @HttpCode(202)
  @ApiOperation({ summary: 'Reply to the enquirer by email (threaded); the inquiry moves to waiting; with seenUpTo, only if nothing newer arrived' })
  @ApiAcceptedResponse({ type: ReplyAccepted, description: 'Stored and queued for sending; the sender\'s draft on it is deleted' })
  @ApiBadRequestResponse({ description: 'body must be 1-10000 characters; seenUpTo names no item of this inquiry' })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  @ApiConflictResponse({ type: StaleConversationBody, description: 'A message, reply or note newer than seenUpTo exists; nothing was sent' })
  @ApiUnprocessableEntityResponse({ description: 'Only new, open and waiting inquiries can be replied to' })
  async reply(
    @Param('id') id: string, @Body() dto: ReplyBodyDto, @CurrentStaff() staff: StaffPrincipal, @Res({ passthrough: true }) res: Response,
  ): Promise<ReplyAccepted | StaleConversationBody> {
    try {
      return await this.conversation.reply(id, dto.body, staff, dto.seenUpTo);
    } catch (err) {
      return staleBody(err, res);
    }
  }

  @Get('inquiries/:id/draft')
  @ApiOperation({ summary: 'My draft reply on this inquiry' })
  @ApiOkResponse({ type: DraftView })
  @ApiNotFoundResponse({ description: 'No draft of mine on this inquiry, or no inquiry has this id or reference' })
  getDraft(@Param('id') id: string, @CurrentStaff() staff: StaffPrincipal): Promise<DraftView> {
    return this.drafts.get(id, staff);
  }

  @Put('inquiries/:id/draft')
  @ApiOperation({ summary: 'Save my draft reply on this inquiry (replaces it); a blank body deletes it (204)' })
  @ApiOkResponse({ type: DraftView })
  @ApiNoContentResponse({ description: 'The body was blank: the draft is deleted' })
  @ApiBadRequestResponse({ description: 'body must be text of up to 10000 characters without control characters other than tabs and line breaks' })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  async putDraft(
    @Param('id') id: string, @Body() dto: DraftBodyDto, @CurrentStaff() staff: StaffPrincipal, @Res({ passthrough: true }) res: Response,
  ): Promise<DraftView | void> {
    const saved = await this.drafts.save(id, dto.body, staff);
    if (!saved) res.status(204);
    return saved ?? undefined;
  }

  @Delete('inquiries/:id/draft')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete my draft reply on this inquiry (none is fine)' })
  @ApiNoContentResponse({ description: 'Deleted, or there was none' })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  async deleteDraft(@Param('id') id: string, @CurrentStaff() staff: StaffPrincipal): Promise<void> {
    await this.drafts.delete(id, staff);
  }

  @Get('inquiries/:id/audit')
  @ApiOperation({ summary: 'The audit trail of an inquiry, oldest first' })
  @ApiOkResponse({ type: [AuditEventView] })
  @ApiNotFoundResponse({ description: 'No inquiry has this id or reference' })
  auditTrail(@Param('id') id: string): Promise<AuditEventView[]> {
    return this.inbox.auditTrail(id);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Counts by status and topic, overdue count, median first response time' })
  @ApiOkResponse({ type: InboxStats })
  stats(): Promise<InboxStats> {
    return this.list.stats();
  }
}

/** A stale reply or note answers 409 with what arrived (like the sign-in's twoFactorRequired body); anything else is rethrown. */
function staleBody(err: unknown, res: Response): StaleConversationBody {
  if (!(err instanceof StaleConversation)) throw err;
  res.status(409);
  return { statusCode: 409, message: err.message, newer: err.newer };
}
