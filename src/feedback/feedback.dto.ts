import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CodePointLength, MULTI_LINE } from '../common/validation.js';

const PAGE_EXAMPLE = 'https://www.example.org/about-cancer/cancer-services-in-england';

/** `POST /api/pages/ratings`: one visitor's rating of one page (SPEC §11). */
export class RatePageDto {
  @ApiProperty({ maxLength: 2048, example: PAGE_EXAMPLE, description: 'A page of one of the FEEDBACK_SITES' })
  @IsString({ message: 'url must be text' }) @MaxLength(2048, { message: 'url must be 2048 characters or fewer' })
  url!: string;

  @ApiProperty({ minimum: 1, maximum: 5, example: 4 })
  @IsInt({ message: 'rating must be a whole number from 1 to 5' })
  @Min(1, { message: 'rating must be a whole number from 1 to 5' }) @Max(5, { message: 'rating must be a whole number from 1 to 5' })
  rating!: number;

  @ApiPropertyOptional({
    description: 'A random id the widget keeps in the page\'s own localStorage, so a second vote within 24 h replaces the first. '
      + 'Without one, the vote is counted by a salted hash of the address that changes every day.',
    example: 'q3Zt0m3rX8yV5b2nL7pK1w',
  })
  @IsOptional() @IsString({ message: 'visitorId must be text' })
  @Matches(/^[A-Za-z0-9_-]{16,64}$/, { message: 'visitorId must be 16-64 letters, digits, _ or -' })
  visitorId?: string;
}

/** `POST /api/pages/feedback`: "tell us what you think". */
export class PageCommentDto {
  @ApiProperty({ maxLength: 2048, example: PAGE_EXAMPLE })
  @IsString({ message: 'url must be text' }) @MaxLength(2048, { message: 'url must be 2048 characters or fewer' })
  url!: string;

  @ApiProperty({ minLength: 1, maxLength: 2000, example: 'The list of documents is hard to scan; dates first would help.' })
  @IsString({ message: 'comment must be text' }) @CodePointLength(1, 2000) @Matches(/\S/, { message: 'comment must not be blank' })
  @Matches(MULTI_LINE, { message: 'comment must not contain control characters other than tabs and line breaks' })
  comment!: string;

  @ApiPropertyOptional({ description: 'Honeypot: hidden from people; leave it empty' })
  @IsOptional() @IsString({ message: 'website must be text' }) @MaxLength(500, { message: 'website must be 500 characters or fewer' })
  website?: string;
}

export class RatingDistribution {
  @ApiProperty() '1'!: number;
  @ApiProperty() '2'!: number;
  @ApiProperty() '3'!: number;
  @ApiProperty() '4'!: number;
  @ApiProperty() '5'!: number;
}

export class PageRatingView {
  @ApiProperty({ example: PAGE_EXAMPLE, description: 'The page, without its query and fragment' }) url!: string;
  @ApiProperty({ type: Number, nullable: true, example: 1.9, description: 'To one decimal; null with no votes' }) average!: number | null;
  @ApiProperty({ example: 9 }) votes!: number;
  @ApiProperty({ type: RatingDistribution }) distribution!: RatingDistribution;
}

export class VoteReceipt {
  @ApiProperty({ type: Number, example: 2.1 }) average!: number;
  @ApiProperty({ example: 10 }) votes!: number;
}

export class CommentReceipt {
  @ApiProperty({ enum: ['received'], description: 'Always received: a spam verdict is never revealed' }) status!: 'received';
}
