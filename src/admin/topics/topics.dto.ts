import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  IsBoolean, IsEmail, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf,
} from 'class-validator';
import { CodePointLength, SINGLE_LINE } from '../../common/validation.js';

export const TOPIC_KEY = /^[a-z0-9-]{1,50}$/;

class TopicFields {
  @ApiProperty({ example: 'Waiting times and cancer services', minLength: 1, maxLength: 200 })
  @IsString() @CodePointLength(1, 200) @Matches(SINGLE_LINE, { message: 'label must be one line of text' })
  label!: string;

  @ApiPropertyOptional({ maxLength: 1000, default: '' })
  @IsOptional() @IsString() @CodePointLength(0, 1000) @Matches(SINGLE_LINE, { message: 'description must be one line of text' })
  description?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'services-policy@charity.example', description: 'Routing mailbox; null sends to TEAM_INBOX' })
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsEmail({ require_tld: false }) @MaxLength(254)
  mailbox?: string | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10, description: 'Response target in working days' })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  responseTargetDays?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 10000, description: 'Position in the public list (lower first)' })
  @IsOptional() @IsInt() @Min(0) @Max(10000)
  sortOrder?: number;
}

export class CreateTopicDto extends TopicFields {
  @ApiProperty({ example: 'waiting-times', pattern: TOPIC_KEY.source })
  @IsString() @Matches(TOPIC_KEY, { message: 'key must be 1-50 lower-case letters, digits or hyphens' })
  key!: string;
}

/** Every field optional; the key names the topic in the path and never changes (inquiries refer to it). */
export class UpdateTopicDto extends PartialType(TopicFields) {}

export class AdminTopicView {
  @ApiProperty() key!: string;
  @ApiProperty() label!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: String, nullable: true }) mailbox!: string | null;
  @ApiProperty() responseTargetDays!: number;
  @ApiProperty() active!: boolean;
  @ApiProperty() sortOrder!: number;
}
