import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Matches, Max, Min,
  ValidateIf, ValidateNested,
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
export const INBOX_VIEWS = ['unassigned', 'mine', 'open', 'overdue', 'waiting', 'snoozed', 'resolved', 'spam'] as const;
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

  @ApiPropertyOptional({
    example: 'original',
    description: 'The id of the latest conversation item (message, reply or note; "original" for the question) the writer had seen. '
      + 'When a newer one exists nothing is stored or sent: 409 with `newer`. Left out: no check.',
  })
  @IsOptional() @IsString({ message: 'seenUpTo must be "original" or an item id' })
  @Matches(/^(original|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, { message: 'seenUpTo must be "original" or an item id' })
  seenUpTo?: string;
}

export class ReplyBodyDto extends NoteBodyDto {}

export const isUuid = (value: string): boolean => UUID.test(value);

/** The most inquiries one bulk change may name by id (a filter may match any number). */
export const BULK_MAX_IDS = 5000;

/** What a bulk change does to each inquiry (SPEC §9); at least one field. */
export class BulkChangesDto {
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'An active staff member; null unassigns' })
  @IsOptional() @IsUUID('all', { message: 'changes.assigneeId must be a staff id or null' })
  assigneeId?: string | null;

  @ApiPropertyOptional({ enum: INQUIRY_STATUSES })
  @ValidateIf((o: BulkChangesDto) => o.status !== undefined)
  @IsIn(INQUIRY_STATUSES as unknown as string[], { message: `changes.status must be one of: ${INQUIRY_STATUSES.join(', ')}` })
  status?: InquiryStatus;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @ValidateIf((o: BulkChangesDto) => o.priority !== undefined)
  @IsIn(PRIORITIES as unknown as string[], { message: `changes.priority must be one of: ${PRIORITIES.join(', ')}` })
  priority?: Priority;

  @ApiPropertyOptional({ example: 'workforce', description: 'An active topic key; each inquiry whose topic changes sends a routing email' })
  @ValidateIf((o: BulkChangesDto) => o.topic !== undefined)
  @IsString({ message: 'changes.topic must be a topic key' }) @Matches(TOPIC_KEY, { message: 'changes.topic must be a topic key' })
  topic?: string;

  @ApiPropertyOptional({ example: 'follow-up', description: 'A single-line tag of 1-50 characters, added to each inquiry' })
  @ValidateIf((o: BulkChangesDto) => o.addTag !== undefined)
  @IsString({ message: 'changes.addTag must be a single-line text of 1 to 50 characters' })
  @CodePointLength(1, 50, { message: 'changes.addTag must be a single-line text of 1 to 50 characters' })
  @Matches(SINGLE_LINE, { message: 'changes.addTag must be a single-line text of 1 to 50 characters' })
  addTag?: string;
}

/** `POST /api/admin/inquiries/bulk`: `ids` or `filter` (every inquiry matching the inbox filters), and `changes`. */
export class BulkRequestDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', minItems: 1, maxItems: BULK_MAX_IDS })
  @ValidateIf((o: BulkRequestDto) => o.ids !== undefined)
  @IsArray({ message: `ids must be a list of 1 to ${BULK_MAX_IDS} inquiry ids` })
  @ArrayMinSize(1, { message: `ids must be a list of 1 to ${BULK_MAX_IDS} inquiry ids` })
  @ArrayMaxSize(BULK_MAX_IDS, { message: `ids must be a list of 1 to ${BULK_MAX_IDS} inquiry ids` })
  @IsUUID('all', { each: true, message: 'ids must be inquiry ids (uuids)' })
  ids?: string[];

  @ApiPropertyOptional({ type: InboxFilterDto, description: 'Every inquiry matching these inbox filters (an empty object: every inquiry)' })
  @ValidateIf((o: BulkRequestDto) => o.filter !== undefined)
  @IsObject({ message: 'filter must be an object of inbox filters' }) @ValidateNested() @Type(() => InboxFilterDto)
  filter?: InboxFilterDto;

  @ApiProperty({ type: BulkChangesDto })
  @IsDefined({ message: 'changes is required' }) @IsObject({ message: 'changes must be an object' })
  @ValidateNested() @Type(() => BulkChangesDto)
  changes!: BulkChangesDto;
}

export class BulkFailure {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'An inquiry cannot go from spam to waiting; from spam it can go to new' }) reason!: string;
}

export class BulkResult {
  @ApiProperty({ description: 'How many inquiries changed' }) changed!: number;
  @ApiProperty({ description: 'How many were already as asked (nothing to change)' }) unchanged!: number;
  @ApiProperty({ type: [BulkFailure] }) failed!: BulkFailure[];
  @ApiProperty({ example: '48 changed; 2 could not move from spam to waiting', description: 'The result in words' }) summary!: string;
}

export class SnoozeDto {
  @ApiProperty({ example: '2026-12-02T09:00:00Z', description: 'ISO 8601 date-time (UK time when no offset is given), in the future' })
  @IsString({ message: 'until must be a date and time' }) @IsIsoDateOrDateTime({ message: 'until must be a date and time' })
  until!: string;
}

// ---- Working together (SPEC §9): no crossed replies, drafts --------------------------------------------------

export class NewerItemView {
  @ApiProperty({ description: 'The item id (as seenUpTo names it)' }) id!: string;
  @ApiProperty({ enum: ['inbound', 'reply', 'note'] }) kind!: 'inbound' | 'reply' | 'note';
  @ApiProperty({ nullable: true, type: String, description: "The enquirer's name for a message, the staff member's for a reply or note" }) author!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ description: 'The first words, on one line (up to 100 characters)' }) excerpt!: string;
}

export class StaleConversationBody {
  @ApiProperty({ example: 409 }) statusCode!: number;
  @ApiProperty() message!: string;
  @ApiProperty({ type: [NewerItemView], description: 'What arrived after seenUpTo, oldest first' }) newer!: NewerItemView[];
}

export class DraftBodyDto {
  @ApiProperty({ maxLength: 10000, description: 'The reply being written; blank deletes the draft' })
  @IsString({ message: 'body must be text' }) @CodePointLength(0, 10000, { message: 'body must be 10000 characters or fewer' })
  @Matches(MULTI_LINE, { message: 'body must not contain control characters other than tabs and line breaks' })
  body!: string;
}

export class DraftView {
  @ApiProperty() body!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
