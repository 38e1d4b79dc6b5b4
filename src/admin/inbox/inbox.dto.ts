import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min, ValidateIf,
} from 'class-validator';
import { IsIsoDateOrDateTime } from '../../common/dates.js';
import { CodePointLength, MULTI_LINE, SINGLE_LINE } from '../../common/validation.js';
import {
  INQUIRY_STATUSES, PRIORITIES, type InquiryStatus, type Priority,
} from '../../inquiries/inquiry.entity.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOPIC_KEY = /^[a-z0-9-]{1,50}$/;

/** Query strings arrive as text; whole numbers become numbers, anything else stays as sent and fails validation. */
const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : value);

/** An empty search box is no search. */
const blankToUndefined = ({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() === '' ? undefined : value);


/** The inbox filters, shared by the list and the CSV export (SPEC §5). */
export class InboxFilterDto {
  @ApiPropertyOptional({ enum: INQUIRY_STATUSES })
  @IsOptional() @IsIn(INQUIRY_STATUSES as unknown as string[], { message: `status must be one of: ${INQUIRY_STATUSES.join(', ')}` })
  status?: InquiryStatus;

  @ApiPropertyOptional({ example: 'waiting-times', description: 'A topic key' })
  @IsOptional() @IsString({ message: 'topic must be a topic key' }) @Matches(TOPIC_KEY, { message: 'topic must be a topic key' })
  topic?: string;

  @ApiPropertyOptional({ description: '`me`, `none` (unassigned) or a staff id' })
  @IsOptional() @IsString({ message: 'assignee must be me, none or a staff id' })
  @Matches(/^(me|none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, { message: 'assignee must be me, none or a staff id' })
  assignee?: string;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @IsOptional() @IsIn(PRIORITIES as unknown as string[], { message: `priority must be one of: ${PRIORITIES.join(', ')}` })
  priority?: Priority;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: only inquiries past their expected reply date and not resolved or spam' })
  @IsOptional() @IsIn(['true', 'false'], { message: 'overdue must be true or false' })
  overdue?: 'true' | 'false';

  @ApiPropertyOptional({ maxLength: 1000, description: 'Words (web-search syntax), an exact reference or an exact email address; blank means no search' })
  @Transform(blankToUndefined) @IsOptional() @IsString({ message: 'q must be text' }) @CodePointLength(1, 1000, { message: 'q must be between 1 and 1000 characters' })
  @Matches(MULTI_LINE, { message: 'q must not contain control characters' })
  q?: string;

  @ApiPropertyOptional({ example: '2026-01-01', description: 'ISO 8601 date or date-time (UK time when no offset is given)' })
  @IsOptional() @IsIsoDateOrDateTime()
  createdFrom?: string;

  @ApiPropertyOptional({ example: '2026-01-31', description: 'ISO 8601 date or date-time; a date includes that whole day (UK time)' })
  @IsOptional() @IsIsoDateOrDateTime()
  createdTo?: string;
}

export class InboxListQueryDto extends InboxFilterDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 25 })
  @IsOptional() @Transform(toInt) @IsInt({ message: 'limit must be a whole number between 1 and 100' })
  @Min(1, { message: 'limit must be a whole number between 1 and 100' }) @Max(100, { message: 'limit must be a whole number between 1 and 100' })
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @IsString({ message: 'cursor must be the nextCursor of a previous page' })
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

/** The inbox page's views (SPEC §8); each is a fixed filter the page's own filters narrow further. */
export const INBOX_VIEWS = ['unassigned', 'mine', 'open', 'overdue', 'waiting', 'resolved', 'spam'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];
export const INBOX_SORTS = ['newest', 'oldest'] as const;
export type InboxSort = (typeof INBOX_SORTS)[number];

/** The inbox page's query string: the list's filters and cursor, plus the view and the order (oldest first to triage). */
export class InboxPageQueryDto extends InboxListQueryDto {
  @IsOptional() @IsIn(INBOX_VIEWS as unknown as string[], { message: `view must be one of: ${INBOX_VIEWS.join(', ')}` })
  view?: InboxView;

  @IsOptional() @IsIn(INBOX_SORTS as unknown as string[], { message: 'sort must be newest or oldest' })
  sort?: InboxSort;
}

const TAG_RULE = { each: true, message: 'tags must be single-line texts of 1 to 50 characters' };

/** A triage change (SPEC §5). Fields left out stay as they are; `version` is the one the client last saw. */
export class UpdateInquiryDto {
  @ApiPropertyOptional({ enum: INQUIRY_STATUSES })
  @ValidateIf((o: UpdateInquiryDto) => o.status !== undefined)
  @IsIn(INQUIRY_STATUSES as unknown as string[], { message: `status must be one of: ${INQUIRY_STATUSES.join(', ')}` })
  status?: InquiryStatus;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @ValidateIf((o: UpdateInquiryDto) => o.priority !== undefined)
  @IsIn(PRIORITIES as unknown as string[], { message: `priority must be one of: ${PRIORITIES.join(', ')}` })
  priority?: Priority;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'An active staff member; null unassigns' })
  @IsOptional() @IsUUID('all', { message: 'assigneeId must be a staff id or null' })
  assigneeId?: string | null;

  @ApiPropertyOptional({ example: 'workforce', description: 'An active topic key; a change sends a routing email to its mailbox' })
  @ValidateIf((o: UpdateInquiryDto) => o.topic !== undefined)
  @IsString({ message: 'topic must be a topic key' }) @Matches(TOPIC_KEY, { message: 'topic must be a topic key' })
  topic?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 20, description: 'Up to 20 single-line tags of 1-50 characters' })
  @ValidateIf((o: UpdateInquiryDto) => o.tags !== undefined)
  @IsArray({ message: 'tags must be a list of up to 20 tags' }) @ArrayMaxSize(20, { message: 'tags must be a list of up to 20 tags' })
  @IsString(TAG_RULE) @CodePointLength(1, 50, TAG_RULE) @Matches(SINGLE_LINE, TAG_RULE)
  tags?: string[];

  @ApiProperty({ minimum: 1, description: 'The version the change is based on; a stale one answers 409' })
  @IsInt({ message: 'version must be the whole-number version of the inquiry' }) @Min(1, { message: 'version must be the whole-number version of the inquiry' })
  version!: number;
}

export class NoteBodyDto {
  @ApiProperty({ minLength: 1, maxLength: 10000 })
  @IsString({ message: 'body must be text' }) @CodePointLength(1, 10000)
  @Matches(MULTI_LINE, { message: 'body must not contain control characters other than tabs and line breaks' })
  @Matches(/\S/, { message: 'body must not be blank' })
  body!: string;
}

export class ReplyBodyDto extends NoteBodyDto {}

export const isUuid = (value: string): boolean => UUID.test(value);
