import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApi } from '../auth/auth.decorators.js';
import { AuditLogPage, AuditLogQueryDto } from './audit.dto.js';
import { AuditLogService } from './audit-log.service.js';

/** The audit log (SPEC §5): triage, notes, replies, sign-ins, staff and topic changes, subject access, erasure, retention. */
@AdminApi('admin: audit log')
@Controller('api/admin/audit')
export class AuditController {
  constructor(private readonly log: AuditLogService) {}

  @Get()
  @ApiOperation({ summary: 'Every audited change, newest first, filtered; cursor-paginated' })
  @ApiOkResponse({ type: AuditLogPage })
  @ApiBadRequestResponse({ description: 'Lists every bad query parameter (a bad limit, cursor, date or id included)' })
  list(@Query() query: AuditLogQueryDto): Promise<AuditLogPage> {
    return this.log.list(query);
  }
}
