import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation,
} from '@nestjs/swagger';
import { AdminApi, CurrentStaff } from '../../auth/auth.decorators.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { EmailPage, EmailView, ListEmailsQuery } from './emails.dto.js';
import { EmailsService } from './emails.service.js';

@AdminApi('admin: emails')
@Controller('api/admin/emails')
export class EmailsController {
  constructor(private readonly emails: EmailsService) {}

  @Get()
  @ApiOperation({ summary: 'Outgoing emails, newest first; `status=failed` lists the ones that need an admin' })
  @ApiOkResponse({ type: EmailPage })
  @ApiBadRequestResponse({ description: 'A bad status, limit (1-100) or cursor' })
  list(@Query() query: ListEmailsQuery): Promise<EmailPage> {
    return this.emails.list(query);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a failed email again (same Message-ID)' })
  @ApiOkResponse({ type: EmailView })
  @ApiNotFoundResponse({ description: 'No such email' })
  @ApiConflictResponse({ description: 'The email is not failed' })
  retry(@Param('id', ParseUUIDPipe) id: string, @CurrentStaff() actor: StaffPrincipal): Promise<EmailView> {
    return this.emails.retry(id, actor);
  }
}
