import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class AttachInboundDto {
  @ApiProperty({ format: 'uuid', description: 'The inquiry to put this message on' })
  @IsUUID('all', { message: 'inquiryId must be an inquiry id (uuid)' })
  inquiryId!: string;
}

export class InboundAccepted {
  @ApiProperty({ enum: ['stored', 'duplicate'] }) status!: 'stored' | 'duplicate';
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id!: string | null;
}

export class InboundEmailView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['received', 'attached', 'held', 'failed', 'duplicate'] }) status!: string;
  @ApiProperty({ enum: ['smtp', 'webhook'] }) source!: string;
  @ApiProperty({ type: String, nullable: true }) from!: string | null;
  @ApiProperty({ type: String, nullable: true }) subject!: string | null;
  @ApiProperty({ type: String, nullable: true }) messageId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why it was not attached: no_match, subject_reference_only, bad_signature, sender_mismatch, ambiguous, anonymised' })
  holdReason!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) inquiryId!: string | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ format: 'date-time' }) receivedAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) processedAt!: Date | null;
  @ApiPropertyOptional({ description: 'The new text of the message (quoted history removed); holding-pen list only' })
  body?: string;
}

export class HoldingPenPage {
  @ApiProperty({ type: [InboundEmailView] }) items!: InboundEmailView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}
