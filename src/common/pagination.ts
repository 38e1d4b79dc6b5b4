import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : value);
const LIMIT = 'limit must be a whole number between 1 and 100';
const CURSOR = 'cursor must be the nextCursor of a previous page';

/** `?limit=&cursor=` of every cursor-paged list: `{ items, nextCursor }`, newest first (SPEC §5). */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 25 })
  @IsOptional() @Transform(toInt) @IsInt({ message: LIMIT }) @Min(1, { message: LIMIT }) @Max(100, { message: LIMIT })
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @IsString({ message: CURSOR }) @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: CURSOR })
  cursor?: string;
}
