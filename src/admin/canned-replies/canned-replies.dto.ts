import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { CodePointLength, MULTI_LINE, SINGLE_LINE } from '../../common/validation.js';

export class CreateCannedReplyDto {
  @ApiProperty({ example: 'Thanks, we are looking into it', minLength: 1, maxLength: 200 })
  @IsString() @CodePointLength(1, 200) @Matches(SINGLE_LINE, { message: 'title must be one line of text' })
  title!: string;

  @ApiProperty({ minLength: 1, maxLength: 10000 })
  @IsString() @CodePointLength(1, 10000) @Matches(MULTI_LINE, { message: 'body must not contain control characters' })
  body!: string;
}

export class UpdateCannedReplyDto extends PartialType(CreateCannedReplyDto) {}

export class CannedReplyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() body!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) createdBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ format: 'date-time' }) updatedAt!: Date;
}
