import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../auth/passwords.js';
import { ROLES } from '../../auth/staff.entity.js';
import type { Role } from '../../auth/staff.entity.js';
import { CodePointLength, SINGLE_LINE } from '../../common/validation.js';

export class CreateStaffDto {
  @ApiProperty({ example: 'sam.jones@charity.example' })
  @IsEmail({ require_tld: false }) @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Sam Jones', minLength: 1, maxLength: 200 })
  @IsString() @CodePointLength(1, 200) @Matches(SINGLE_LINE, { message: 'name must be one line of text' })
  name!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({
    minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX,
    description: 'Leave out to send an invitation email with a one-time link to set a password (valid 7 days)',
  })
  @IsOptional() @IsString() @CodePointLength(PASSWORD_MIN, PASSWORD_MAX)
  password?: string;
}

export class UpdateStaffDto {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional() @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ description: 'false deactivates the account; its tokens stop working at once' })
  @IsOptional() @IsBoolean()
  active?: boolean;
}

export class StaffAccountView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() active!: boolean;
  @ApiProperty({ description: 'false while an invitation is still open' }) passwordSet!: boolean;
  @ApiProperty({ description: 'Two-factor sign-in is on' }) twoFactor!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;
}
