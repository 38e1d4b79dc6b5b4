import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AdminApi, CurrentStaff } from '../../auth/auth.decorators.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { CreateStaffDto, StaffAccountView, UpdateStaffDto } from './staff.dto.js';
import { StaffService } from './staff.service.js';

@AdminApi('admin: staff')
@Controller('api/admin/staff')
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Get()
  @ApiOperation({ summary: 'Every staff account, active or not' })
  @ApiOkResponse({ type: [StaffAccountView] })
  list(): Promise<StaffAccountView[]> {
    return this.staff.list();
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a staff account; without a password, email an invitation to set one' })
  @ApiCreatedResponse({ type: StaffAccountView })
  @ApiConflictResponse({ description: 'The email address already has an account' })
  create(@Body() dto: CreateStaffDto, @CurrentStaff() actor: StaffPrincipal): Promise<StaffAccountView> {
    return this.staff.create(dto, actor);
  }

  @Post(':id/invitation')
  @HttpCode(202)
  @ApiOperation({ summary: 'Email a new one-time link to set a password (valid 7 days); earlier links stop working' })
  @ApiAcceptedResponse({ description: 'The invitation email is on its way' })
  @ApiNotFoundResponse({ description: 'No such account' })
  @ApiUnprocessableEntityResponse({ description: 'The account is deactivated' })
  async reinvite(@Param('id', ParseUUIDPipe) id: string, @CurrentStaff() actor: StaffPrincipal): Promise<void> {
    await this.staff.reinvite(id, actor);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the role of an account or (de)activate it' })
  @ApiOkResponse({ type: StaffAccountView })
  @ApiNotFoundResponse({ description: 'No such account' })
  @ApiUnprocessableEntityResponse({ description: 'An admin cannot deactivate or demote themself' })
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateStaffDto,
    @CurrentStaff() actor: StaffPrincipal,
  ): Promise<StaffAccountView> {
    return this.staff.update(id, dto, actor);
  }

  @Post(':id/two-factor/reset')
  @HttpCode(200)
  @ApiOperation({
    summary: "Reset another account's two-factor sign-in (a lost phone): its key and recovery codes are deleted, its sessions end and its tokens stop",
    description: 'The person signs in with their password alone until they set it up again (at once, when REQUIRE_2FA is set). Audited as staff.2fa-reset.',
  })
  @ApiOkResponse({ type: StaffAccountView })
  @ApiNotFoundResponse({ description: 'No such account' })
  @ApiUnprocessableEntityResponse({ description: 'Your own account (turn it off on My account), or an account without two-factor sign-in' })
  resetTwoFactor(@Param('id', ParseUUIDPipe) id: string, @CurrentStaff() actor: StaffPrincipal): Promise<StaffAccountView> {
    return this.staff.resetTwoFactor(id, actor);
  }
}
