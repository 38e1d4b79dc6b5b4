import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { LoginDto, LoginResult, SetPasswordDto } from './auth.dto.js';
import { Public } from './auth.decorators.js';
import { AuthService } from './auth.service.js';

@ApiTags('admin: sign-in')
@Public()
@Controller('api/admin/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with an email address and password; returns a short-lived bearer token' })
  @ApiOkResponse({ type: LoginResult })
  @ApiBadRequestResponse({ description: 'A field is missing or malformed' })
  @ApiUnauthorizedResponse({ description: 'The email address or password is not right (one answer for both)' })
  @ApiTooManyRequestsResponse({ description: 'Five failures within 15 minutes lock the address for 15 minutes; see Retry-After' })
  login(@Body() dto: LoginDto): Promise<LoginResult> {
    return this.auth.login(dto);
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
