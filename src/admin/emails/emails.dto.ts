import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/pagination.js';
import { EMAIL_KINDS } from '../../mail/outbound-email.entity.js';
import type { EmailKind, EmailStatus } from '../../mail/outbound-email.entity.js';

export const EMAIL_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;

export class ListEmailsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EMAIL_STATUSES, description: 'Only emails with this delivery status' })
  @IsOptional() @IsIn(EMAIL_STATUSES)
  status?: EmailStatus;
}

export class EmailView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) inquiryId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'POL-7K3M9Q' }) reference!: string | null;
  @ApiProperty({ enum: EMAIL_KINDS }) kind!: EmailKind;
  @ApiProperty({ description: 'Recipient address' }) to!: string;
  @ApiProperty({ enum: EMAIL_STATUSES }) status!: EmailStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ example: '<0b6f…@localhost>' }) messageId!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: Date | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;
}

export class EmailPage {
  @ApiProperty({ type: [EmailView] }) items!: EmailView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}
