import { ApiProperty } from '@nestjs/swagger';

export class RetentionRunView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['scheduled', 'manual'] }) trigger!: 'scheduled' | 'manual';
  @ApiProperty({ example: '2026-11-24', description: 'The UK date of the run' }) runDate!: string;
  @ApiProperty({ format: 'date-time', description: 'Inquiries resolved before this were anonymised' }) cutoff!: Date;
  @ApiProperty({ format: 'date-time' }) startedAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: Date | null;
  @ApiProperty({ description: 'Inquiries anonymised by this run' }) anonymisedCount!: number;
  @ApiProperty({ description: 'Unattached inbound messages anonymised by this run' }) inboundAnonymisedCount!: number;
  @ApiProperty({ description: 'Page feedback comments (SPEC §11) anonymised by this run' }) commentsAnonymisedCount!: number;
}

export class RetentionRunPage {
  @ApiProperty({ type: [RetentionRunView] }) items!: RetentionRunView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class ErasureResult {
  @ApiProperty({ description: 'Inquiries of this address anonymised' }) inquiries!: number;
  @ApiProperty({ description: 'Inbound messages from or about this address anonymised' }) inboundEmails!: number;
  @ApiProperty({ description: 'Page feedback comments naming this address, the address replaced' }) pageComments!: number;
}
