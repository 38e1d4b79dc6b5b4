import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { CodePointLength } from '../common/validation.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js';
import { CODE_FORMAT } from './two-factor.service.js';
import { ROLES } from './staff.entity.js';
import type { Role } from './staff.entity.js';

export class LoginDto {
  @ApiProperty({ example: 'officer@charity.example' })
  @IsEmail({ require_tld: false }) @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX })
  @IsString() @Length(1, PASSWORD_MAX)
  password!: string;

  @ApiPropertyOptional({
    example: '123456',
    description: 'For an account with two-factor sign-in: the 6-digit code of the authenticator app, or one of the '
      + 'recovery codes (`abcde-23456`). Each code is accepted once.',
  })
  @IsOptional() @IsString() @Matches(CODE_FORMAT, { message: 'code must be 6 digits, or a recovery code like abcde-23456' })
  code?: string;
}

/** A code from the authenticator app (or, where it says so, a recovery code). */
export class TwoFactorCodeDto {
  @ApiProperty({ example: '123456', description: 'The 6-digit code the authenticator app shows now, or a recovery code' })
  @IsString() @Matches(CODE_FORMAT, { message: 'code must be 6 digits, or a recovery code like abcde-23456' })
  code!: string;
}

/** The first code of the app being set up (6 digits). */
export class EnableTwoFactorDto {
  @ApiProperty({ example: '123456', description: 'The 6-digit code the authenticator app shows now for the new key' })
  @IsString() @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;
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
  @ApiPropertyOptional({
    description: 'Only when REQUIRE_2FA is set and the account has no two-factor sign-in yet: the token works only for '
      + '/api/admin/auth/2fa (set it up, then enable it) until then',
  })
  twoFactorEnrolmentRequired?: boolean;
}

export class TwoFactorRequiredBody {
  @ApiProperty({ example: 401 }) statusCode!: number;
  @ApiProperty() message!: string;
  @ApiProperty({ description: 'Always true: send the password again with `code`' }) twoFactorRequired!: boolean;
}

export class TwoFactorStatusView {
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) enabledAt!: Date | null;
  @ApiProperty({ description: 'Unused recovery codes' }) recoveryCodesLeft!: number;
  @ApiProperty({ description: 'false when the stored secret no longer decrypts (APP_SECRET changed): only recovery codes work' }) secretReadable!: boolean;
  @ApiProperty({ description: 'REQUIRE_2FA: it cannot be turned off, and an account without it can only enrol' }) required!: boolean;
}

export class TwoFactorSetupView {
  @ApiProperty({ description: 'The new key, base32 (RFC 4648), to type into an authenticator app' }) secret!: string;
  @ApiProperty({ example: 'otpauth://totp/Policy%20Inbox:officer@charity.example?secret=JBSWY3DPEHPK3PXP&issuer=Policy%20Inbox' })
  otpauthUrl!: string;
}

export class RecoveryCodesView {
  @ApiProperty({ type: [String], description: 'Ten one-time recovery codes: shown this once, stored only as hashes' })
  recoveryCodes!: string[];
}

export class TwoFactorEnabledView extends RecoveryCodesView {
  @ApiProperty({ description: 'A new full token: turning 2FA on ended every earlier token and session of the account' })
  accessToken!: string;
  @ApiProperty({ description: 'Seconds until the token expires' }) expiresIn!: number;
}

