import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { CodePointLength } from '../common/validation.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js';
import { ROLES } from './staff.entity.js';
import type { Role } from './staff.entity.js';

export class LoginDto {
  @ApiProperty({ example: 'officer@charity.example' })
  @IsEmail({ require_tld: false }) @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX })
  @IsString() @Length(1, PASSWORD_MAX)
  password!: string;
}

export class SetPasswordDto {
  @ApiProperty({ description: 'The token from the invitation link' })
  @IsString() @Matches(/^[A-Za-z0-9_-]{20,100}$/, { message: 'token is not a valid invitation token' })
  token!: string;

  @ApiProperty({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsString() @CodePointLength(PASSWORD_MIN, PASSWORD_MAX)
  password!: string;
}

export class StaffView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
}

export class LoginResult {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <token>`' }) accessToken!: string;
  @ApiProperty({ description: 'Seconds until the token expires' }) expiresIn!: number;
  @ApiProperty({ type: StaffView }) staff!: StaffView;
}

