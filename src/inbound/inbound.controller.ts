import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConflictResponse, ApiConsumes, ApiForbiddenResponse, ApiNotFoundResponse,
  ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse, ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AdminOnly, CurrentStaff, Public } from '../auth/auth.decorators.js';
import type { StaffPrincipal } from '../auth/staff.entity.js';
import { DomainError, NotFound, Unauthorized } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { InboundAdminService } from './inbound-admin.service.js';
import { InboundStore } from './inbound-store.js';
import { PageQuery } from '../common/pagination.js';
import { AttachInboundDto, HoldingPenPage, InboundAccepted, InboundEmailView } from './inbound.dto.js';

class UnsupportedMediaType extends DomainError {
  readonly statusCode = 415;
}

/** Equal-time comparison of the shared secret (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The webhook door: a mail provider posts each raw message (message/rfc822) with the shared secret. */
@ApiTags('inbound email')
@Public()
@Controller('api/inbound')
export class InboundWebhookController {
  constructor(private readonly store: InboundStore, private readonly config: AppConfig) {}

  @Post('email')
  @HttpCode(202)
  @ApiOperation({ summary: 'Receive one raw email (message/rfc822) from a mail provider; Authorization: Bearer INBOUND_WEBHOOK_SECRET' })
  @ApiConsumes('message/rfc822')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiAcceptedResponse({ type: InboundAccepted, description: 'Stored; processed from the queue' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong secret' })
  @ApiNotFoundResponse({ description: 'The webhook is off (INBOUND_WEBHOOK_SECRET unset)' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Body is not message/rfc822' })
  async receive(@Headers('authorization') authorization: string | undefined, @Req() req: Request): Promise<InboundAccepted> {
    const secret = this.config.inboundWebhookSecret;
    if (!secret) throw new NotFound('Cannot POST /api/inbound/email');
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    if (!sameSecret(token, secret)) throw new Unauthorized('A valid webhook secret is required');
    if (!req.is('message/rfc822') || !Buffer.isBuffer(req.body) || !req.body.length) {
      throw new UnsupportedMediaType('Send the raw email as the body, with Content-Type: message/rfc822');
    }
    const stored = await this.store.store(req.body, 'webhook');
    return { status: stored.duplicate ? 'duplicate' : 'stored', id: stored.id };
  }
}

@ApiTags('admin: inbound email')
@ApiBearerAuth('bearer')
@ApiUnauthorizedResponse({ description: 'No valid token' })
@ApiForbiddenResponse({ description: 'Needs the admin role' })
@AdminOnly()
@Controller('api/admin')
export class InboundAdminController {
  constructor(private readonly inbound: InboundAdminService) {}

  @Get('holding-pen')
  @ApiOperation({ summary: 'Inbound messages that matched no inquiry safely, newest first' })
  @ApiOkResponse({ type: HoldingPenPage })
  holdingPen(@Query() query: PageQuery): Promise<HoldingPenPage> {
    return this.inbound.holdingPen(query);
  }

  @Post('holding-pen/:id/attach')
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a held message on an inquiry (reopens it when waiting or resolved)' })
  @ApiOkResponse({ type: InboundEmailView })
  @ApiNotFoundResponse({ description: 'No such message' })
  @ApiConflictResponse({ description: 'The message is not in the holding pen' })
  attach(
    @Param('id', ParseUUIDPipe) id: string, @Body() dto: AttachInboundDto, @CurrentStaff() actor: StaffPrincipal,
  ): Promise<InboundEmailView> {
    return this.inbound.attach(id, dto.inquiryId, actor);
  }

  @Post('inbound/:id/reprocess')
  @HttpCode(202)
  @ApiOperation({ summary: 'Process a failed or held inbound message again from its stored raw bytes' })
  @ApiAcceptedResponse({ type: InboundEmailView })
  @ApiNotFoundResponse({ description: 'No such message' })
  @ApiConflictResponse({ description: 'The message was already attached or is a duplicate' })
  reprocess(@Param('id', ParseUUIDPipe) id: string, @CurrentStaff() actor: StaffPrincipal): Promise<InboundEmailView> {
    return this.inbound.reprocess(id, actor);
  }
}
