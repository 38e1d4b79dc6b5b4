import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateBy } from 'class-validator';
import { isIsoDateOrDateTime } from '../common/dates.js';
import { PageQuery } from '../common/pagination.js';

/** An action name ('inquiry.updated', 'data-subject.erased'), or a prefix of one ending in '.' ('data-subject.'). */
export const ACTION_FILTER = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*\.?$/;

const ACTION_MESSAGE = 'action must be an action name (e.g. inquiry.updated) or a prefix ending in "." (e.g. data-subject.)';
const DATE_MESSAGE = (field: string) => `${field} must be an ISO 8601 date (YYYY-MM-DD) or date-time`;

const IsDateOrDateTime = (field: string) =>
  ValidateBy({ name: 'isIsoDateOrDateTime', validator: { validate: isIsoDateOrDateTime, defaultMessage: () => DATE_MESSAGE(field) } });

/** The audit log's filters (SPEC §5); every one optional, all of them combined with AND. */
export class AuditLogQueryDto extends PageQuery {
  @ApiPropertyOptional({ example: 'data-subject.', description: 'An action (exact), or a prefix ending in "." for every action under it' })
  @IsOptional() @IsString({ message: ACTION_MESSAGE }) @MaxLength(100, { message: ACTION_MESSAGE }) @Matches(ACTION_FILTER, { message: ACTION_MESSAGE })
  action?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only what this staff member did' })
  @IsOptional() @IsUUID('all', { message: 'actorId must be a staff id (a uuid)' })
  actorId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only entries about this inquiry' })
  @IsOptional() @IsUUID('all', { message: 'inquiryId must be an inquiry id (a uuid)' })
  inquiryId?: string;

  @ApiPropertyOptional({ example: '2026-11-01', description: 'ISO 8601 date or date-time (UK time when no offset is given); from this instant on' })
  @IsOptional() @IsDateOrDateTime('from')
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-30', description: 'ISO 8601 date or date-time; a date includes that whole day (UK time)' })
  @IsOptional() @IsDateOrDateTime('to')
  to?: string;
}

export class AuditActor {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null when the account has since been removed' })
  id!: string | null;

  @ApiProperty({ type: String, nullable: true }) email!: string | null;
}

export class AuditLogEntry {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: AuditActor, nullable: true, description: 'Who did it; null for the system (scheduled jobs, inbound email)' })
  actor!: AuditActor | null;

  @ApiProperty({ example: 'inquiry.updated' }) action!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) inquiryId!: string | null;
  @ApiProperty({
    description: 'Each changed field as { from, to }',
    example: { status: { from: 'new', to: 'open' } },
    type: 'object', additionalProperties: { type: 'object', properties: { from: {}, to: {} } },
  })
  changes!: Record<string, { from: unknown; to: unknown }>;
}

export class AuditLogPage {
  @ApiProperty({ type: [AuditLogEntry] }) items!: AuditLogEntry[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}
