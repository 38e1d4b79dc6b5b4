import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  Equals, IsEmail, IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength, Validate, ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { Injectable } from '@nestjs/common';
import { CodePointLength, MULTI_LINE, SINGLE_LINE } from '../common/validation.js';
import { ENQUIRER_TYPES, type EnquirerType } from './inquiry.entity.js';
import { TopicsService } from './topics.service.js';

@ValidatorConstraint({ name: 'activeTopic', async: true })
@Injectable()
export class ActiveTopicRule implements ValidatorConstraintInterface {
  constructor(private readonly topics: TopicsService) {}
  async validate(value: unknown): Promise<boolean> {
    return Boolean(await this.topics.findActive(value));
  }
  defaultMessage(): string {
    return 'topic must be one of the keys listed by GET /api/topics';
  }
}

const oneLine = (field: string) => ({ message: `${field} must be a single line without control characters` });
const NOT_BLANK = /\S/;
const notBlank = (field: string) => ({ message: `${field} must not be blank` });

/** Everything a stranger may send to POST /api/inquiries, and every rule it must meet (SPEC §3.2). */
export class CreateInquiryDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Aisha Khan' })
  @IsString({ message: 'name must be text' }) @CodePointLength(1, 200) @Matches(NOT_BLANK, notBlank('name')) @Matches(SINGLE_LINE, oneLine('name'))
  name!: string;

  @ApiProperty({ maxLength: 254, example: 'aisha@example.org' })
  @IsString({ message: 'email must be text' }) @MaxLength(254, { message: 'email must be 254 characters or fewer' })
  @IsEmail({}, { message: 'email must be a valid email address' }) @Matches(SINGLE_LINE, oneLine('email'))
  email!: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString({ message: 'organisation must be text' }) @CodePointLength(0, 200) @Matches(SINGLE_LINE, oneLine('organisation'))
  organisation?: string;

  @ApiProperty({ enum: ENQUIRER_TYPES })
  @IsIn(ENQUIRER_TYPES as unknown as string[], { message: `enquirerType must be one of: ${ENQUIRER_TYPES.join(', ')}` })
  enquirerType!: EnquirerType;

  @ApiProperty({ example: 'waiting-times', description: 'A key from GET /api/topics' })
  @IsString({ message: 'topic must be text' }) @Validate(ActiveTopicRule)
  topic!: string;

  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString({ message: 'subject must be text' }) @CodePointLength(1, 200) @Matches(NOT_BLANK, notBlank('subject')) @Matches(SINGLE_LINE, oneLine('subject'))
  subject!: string;

  @ApiProperty({ minLength: 10, maxLength: 5000 })
  @IsString({ message: 'message must be text' }) @CodePointLength(10, 5000) @Matches(NOT_BLANK, notBlank('message'))
  @Matches(MULTI_LINE, { message: 'message must not contain control characters other than tabs and line breaks' })
  message!: string;

  @ApiPropertyOptional({ maxLength: 2048, example: 'https://www.example.org/policy/cancer-services' })
  @IsOptional() @IsString({ message: 'sourceUrl must be text' }) @MaxLength(2048, { message: 'sourceUrl must be 2048 characters or fewer' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'sourceUrl must be an http or https URL' })
  sourceUrl?: string;

  @ApiProperty({ enum: [true] })
  @Equals(true, { message: 'consent must be true' })
  consent!: true;

  @ApiPropertyOptional({ description: 'Leave empty. A field people never see; anything in it marks the inquiry as spam.' })
  @IsOptional() @IsString({ message: 'website must be text' }) @MaxLength(2048, { message: 'website must be 2048 characters or fewer' })
  website?: string;
}

export class InquiryReceipt {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'POL-7K3M9Q' }) reference!: string;
  @ApiProperty({ enum: ['received'] }) status!: 'received';
  @ApiProperty({ format: 'date', example: '2026-12-08' }) expectedResponseBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class TopicView {
  @ApiProperty() key!: string;
  @ApiProperty() label!: string;
  @ApiProperty() description!: string;
}
