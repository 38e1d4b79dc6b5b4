import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminOnly, CurrentStaff } from '../auth/auth.decorators.js';
import type { StaffPrincipal } from '../auth/staff.entity.js';
import { DataSubjectsService } from './data-subjects.service.js';
import { PageQuery } from '../common/pagination.js';
import { ErasureResult, RetentionRunPage, RetentionRunView } from './privacy.dto.js';
import { RetentionService } from './retention.service.js';

@ApiTags('admin: data protection')
@ApiBearerAuth('bearer')
@ApiUnauthorizedResponse({ description: 'No valid token' })
@ApiForbiddenResponse({ description: 'Needs the admin role' })
@AdminOnly()
@Controller('api/admin')
export class PrivacyController {
  constructor(private readonly retention: RetentionService, private readonly subjects: DataSubjectsService) {}

  @Get('retention/runs')
  @ApiOperation({ summary: 'Runs of the retention job, newest first' })
  @ApiOkResponse({ type: RetentionRunPage })
  runs(@Query() query: PageQuery): Promise<RetentionRunPage> {
    return this.retention.list(query.limit, query.cursor);
  }

  @Post('retention/runs')
  @HttpCode(201)
  @ApiOperation({ summary: 'Run retention now (it also runs daily by itself)' })
  @ApiCreatedResponse({ type: RetentionRunView })
  async runNow(): Promise<RetentionRunView> {
    return (await this.retention.run('manual'))!;
  }

  @Get('data-subjects/:email/export')
  @ApiOperation({ summary: 'Subject access: everything held about an email address, as JSON' })
  @ApiOkResponse({ description: 'Inquiries, conversation, notes, emails, inbound emails and audit entries' })
  @ApiBadRequestResponse({ description: 'Not an email address' })
  export(@Param('email') email: string, @CurrentStaff() actor: StaffPrincipal): Promise<Record<string, unknown>> {
    return this.subjects.export(email, actor);
  }

  @Delete('data-subjects/:email')
  @HttpCode(200)
  @ApiOperation({ summary: 'Erasure: anonymise every trace of an email address' })
  @ApiOkResponse({ type: ErasureResult })
  @ApiBadRequestResponse({ description: 'Not an email address' })
  erase(@Param('email') email: string, @CurrentStaff() actor: StaffPrincipal): Promise<ErasureResult> {
    return this.subjects.erase(email, actor);
  }
}
