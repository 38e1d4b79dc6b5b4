import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiConflictResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import {
  EnableTwoFactorDto, RecoveryCodesView, TwoFactorCodeDto, TwoFactorEnabledView, TwoFactorSetupView, TwoFactorStatusView,
} from './auth.dto.js';
import { CurrentStaff, StaffApi, TwoFactorEnrolment } from './auth.decorators.js';
import type { StaffPrincipal } from './staff.entity.js';
import { ACCESS_TOKEN_SECONDS, TokensService } from './tokens.service.js';
import { TwoFactorService } from './two-factor.service.js';

/**
 * Two-factor sign-in of the signed-in account, by API (SPEC §5): status, set-up (a new key), enabling with the
 * first code, new recovery codes, turning off. Under REQUIRE_2FA a token issued before enrolment opens these
 * enrolment routes (status, setup, enable) and nothing else.
 */
@StaffApi('admin: two-factor sign-in')
@Controller('api/admin/auth/2fa')
export class TwoFactorController {
  constructor(private readonly twoFactor: TwoFactorService, private readonly tokens: TokensService) {}

  @Get()
  @TwoFactorEnrolment()
  @ApiOperation({ summary: 'Whether two-factor sign-in is on for my account, and how many recovery codes are left' })
  @ApiOkResponse({ type: TwoFactorStatusView })
  status(@CurrentStaff() me: StaffPrincipal): Promise<TwoFactorStatusView> {
    return this.twoFactor.status(me.id);
  }

  @Post('setup')
  @HttpCode(200)
  @TwoFactorEnrolment()
  @ApiOperation({
    summary: 'Start setting up two-factor sign-in: a new key (it takes effect only after POST /enable with a code of it)',
    description: 'Each call makes a new key and forgets the previous one not yet enabled. Put `otpauthUrl` in a QR code, or type `secret` into the app.',
  })
  @ApiOkResponse({ type: TwoFactorSetupView })
  @ApiConflictResponse({ description: 'Two-factor sign-in is already on' })
  setup(@CurrentStaff() me: StaffPrincipal): Promise<TwoFactorSetupView> {
    return this.twoFactor.setup(me, { fresh: true });
  }

  @Post('enable')
  @HttpCode(200)
  @TwoFactorEnrolment()
  @ApiOperation({
    summary: 'Turn two-factor sign-in on with the first code of the new key; returns the 10 recovery codes (shown this once) and a new token',
    description: 'Every earlier token and web session of the account ends (they were signed in without a second factor).',
  })
  @ApiOkResponse({ type: TwoFactorEnabledView })
  @ApiBadRequestResponse({ description: 'The code is not 6 digits or not right, or no set-up is in progress' })
  @ApiConflictResponse({ description: 'Two-factor sign-in is already on' })
  async enable(@CurrentStaff() me: StaffPrincipal, @Body() dto: EnableTwoFactorDto): Promise<TwoFactorEnabledView> {
    const { recoveryCodes, tokenVersion } = await this.twoFactor.enable(me, dto.code);
    return { recoveryCodes, accessToken: await this.tokens.sign(me.id, tokenVersion), expiresIn: ACCESS_TOKEN_SECONDS };
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace the recovery codes (used or not) with 10 new ones; needs a current code' })
  @ApiOkResponse({ type: RecoveryCodesView })
  @ApiBadRequestResponse({ description: 'The code is malformed, not right or already used' })
  @ApiConflictResponse({ description: 'Two-factor sign-in is not on' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong passwords or codes for this address: see Retry-After' })
  async recoveryCodes(@CurrentStaff() me: StaffPrincipal, @Body() dto: TwoFactorCodeDto): Promise<RecoveryCodesView> {
    return { recoveryCodes: await this.twoFactor.newRecoveryCodes(me, dto.code) };
  }

  @Post('disable')
  @HttpCode(204)
  @ApiOperation({ summary: 'Turn my two-factor sign-in off; needs a fresh code (not while REQUIRE_2FA is set)' })
  @ApiNoContentResponse({ description: 'Two-factor sign-in is off; the key and recovery codes are deleted' })
  @ApiBadRequestResponse({ description: 'The code is malformed, not right or already used' })
  @ApiForbiddenResponse({ description: 'REQUIRE_2FA is set, so two-factor sign-in cannot be turned off' })
  @ApiConflictResponse({ description: 'Two-factor sign-in is not on' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong passwords or codes for this address: see Retry-After' })
  async disable(@CurrentStaff() me: StaffPrincipal, @Body() dto: TwoFactorCodeDto): Promise<void> {
    await this.twoFactor.disable(me, dto.code);
  }
}
