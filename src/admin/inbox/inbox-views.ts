import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENQUIRER_TYPES, INQUIRY_STATUSES, PRIORITIES } from '../../inquiries/inquiry.entity.js';
import { EMAIL_KINDS } from '../../mail/outbound-email.entity.js';

/** What the inbox answers: response shapes for the OpenAPI document and the service's return types. */
export class StaffRef {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class InboxItem {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'POL-7K3M9Q' }) reference!: string;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ type: String, nullable: true }) organisation!: string | null;
  @ApiProperty({ enum: ENQUIRER_TYPES }) enquirerType!: string;
  @ApiProperty({ example: 'waiting-times' }) topic!: string;
  @ApiProperty() subject!: string;
  @ApiProperty({ enum: INQUIRY_STATUSES }) status!: string;
  @ApiProperty({ enum: PRIORITIES }) priority!: string;
  @ApiProperty({ type: StaffRef, nullable: true }) assignee!: StaffRef | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ format: 'date', example: '2026-12-08' }) expectedResponseBy!: string;
  @ApiProperty() overdue!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class InboxPage {
  @ApiProperty({ type: [InboxItem] }) items!: InboxItem[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}

export class ConversationEntry {
  @ApiProperty({ description: 'A message id, or "original" for the question as submitted' }) id!: string;
  @ApiProperty({ enum: ['inbound', 'outbound'] }) direction!: 'inbound' | 'outbound';
  @ApiProperty() body!: string;
  @ApiProperty({ type: StaffRef, nullable: true, description: 'Who replied (outbound messages)' }) staff!: StaffRef | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'The outbound email that carried it' })
  emailId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class NoteView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() body!: string;
  @ApiProperty({ type: StaffRef, nullable: true }) author!: StaffRef | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class EmailView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: EMAIL_KINDS }) kind!: string;
  @ApiProperty() to!: string;
  @ApiProperty() subject!: string;
  @ApiProperty({ enum: ['pending', 'sending', 'sent', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ example: '<0b6c…@localhost>' }) messageId!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) sentAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class InquiryDetail extends InboxItem {
  @ApiProperty() message!: string;
  @ApiProperty({ type: String, nullable: true }) sourceUrl!: string | null;
  @ApiProperty({ enum: ['api', 'form'] }) channel!: string;
  @ApiProperty({ type: String, nullable: true }) spamReason!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) firstResponseAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) resolvedAt!: string | null;
  @ApiPropertyOptional({ type: [String], description: 'Kinds of sensitive data found in the inquiry (e.g. health details)' })
  sensitiveFlags?: string[];
  @ApiProperty({ description: 'Send it back with a change; a stale one answers 409' }) version!: number;
  @ApiProperty({ type: [ConversationEntry], description: 'Oldest first; the original question is the first inbound entry' })
  conversation!: ConversationEntry[];
  @ApiProperty({ type: [NoteView], description: 'Internal notes, oldest first; never emailed' }) notes!: NoteView[];
  @ApiProperty({ type: [EmailView], description: 'Every email about this inquiry, with its delivery status' }) emails!: EmailView[];
}

export class AuditActor {
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) id!: string | null;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
}

export class AuditEventView {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: AuditActor, nullable: true, description: 'null for the system' }) actor!: AuditActor | null;
  @ApiProperty({ example: 'inquiry.updated' }) action!: string;
  @ApiProperty({ example: { status: { from: 'new', to: 'open' } }, description: '{ field: { from, to } }' })
  changes!: Record<string, { from: unknown; to: unknown }>;
}

export class ReplyAccepted {
  @ApiProperty({ format: 'uuid', description: 'The conversation message' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The outbound email (see the inquiry\'s emails for its delivery status)' }) emailId!: string;
  @ApiProperty() messageId!: string;
  @ApiProperty({ enum: INQUIRY_STATUSES }) status!: string;
  @ApiProperty() version!: number;
}

export class InboxStats {
  @ApiProperty({ example: { new: 3, open: 5, waiting: 2, resolved: 40, spam: 1 }, description: 'Count per status' })
  byStatus!: Record<string, number>;
  @ApiProperty({ example: { 'waiting-times': 12 }, description: 'Count per topic key (every topic, spam excluded)' })
  byTopic!: Record<string, number>;
  @ApiProperty({ description: 'Inquiries past their expected reply date and not resolved or spam' }) overdue!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Median hours from submission to the first reply; null before any reply' })
  medianFirstResponseHours!: number | null;
}
