import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { LoginDto, LoginResult, SetPasswordDto, TwoFactorRequiredBody } from './auth.dto.js';
import { Public } from './auth.decorators.js';
import { AuthService, TwoFactorRequired } from './auth.service.js';

@ApiTags('admin: sign-in')
@Public()
@Controller('api/admin/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with an email address and password (and, for an account with two-factor sign-in, `code`); returns a short-lived bearer token',
    description: 'An account with two-factor sign-in answers 401 with `twoFactorRequired: true` without `code` or with a '
      + 'wrong one; send the password again with the code the authenticator app shows (or a recovery code). A code is '
      + 'accepted once. Wrong passwords and wrong codes count towards the same lock-out.',
  })
  @ApiOkResponse({ type: LoginResult })
  @ApiBadRequestResponse({ description: 'A field is missing or malformed (`code`: 6 digits, or a recovery code like abcde-23456)' })
  @ApiUnauthorizedResponse({
    type: TwoFactorRequiredBody,
    description: 'The email address or password is not right (one answer for both), or — with `twoFactorRequired: true` — '
      + 'the password was right but the account needs a security code and none, a wrong one or a used one came',
  })
  @ApiTooManyRequestsResponse({ description: 'Five failures (passwords or codes) within 15 minutes lock the address for 15 minutes; see Retry-After' })
  async login(@Body() dto: LoginDto, @Res({ passthrough: true }) res: Response): Promise<LoginResult | TwoFactorRequiredBody> {
    try {
      return await this.auth.login(dto);
    } catch (err) {
      if (!(err instanceof TwoFactorRequired)) throw err;
      res.status(401);
      return { statusCode: 401, message: err.message, twoFactorRequired: true };
    }
  }

  @Post('set-password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a password with the one-time token of an invitation email' })
  @ApiNoContentResponse({ description: 'Password set; sign in with it' })
  @ApiBadRequestResponse({ description: 'The token is unknown, used or expired, or the password is not 12-200 characters' })
  async setPassword(@Body() dto: SetPasswordDto): Promise<void> {
    await this.auth.setPassword(dto);
  }
}
