import { Body, Controller, Get, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse,
  ApiTags, ApiTooManyRequestsResponse, ApiUnprocessableEntityResponse, ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { CreateInquiryDto, InquiryReceipt, TopicView } from './create-inquiry.dto.js';
import { InquiriesService } from './inquiries.service.js';
import { TopicsService } from './topics.service.js';

@ApiTags('public')
@Public()
@Controller('api')
export class InquiriesController {
  constructor(private readonly inquiries: InquiriesService, private readonly topics: TopicsService) {}

  @Get('topics')
  @ApiOperation({ summary: 'The active topics a question can be about' })
  @ApiOkResponse({ type: [TopicView] })
  async listTopics(): Promise<TopicView[]> {
    return (await this.topics.active()).map(({ key, label, description }) => ({ key, label, description }));
  }

  @Post('inquiries')
  @HttpCode(201)
  @ApiOperation({ summary: 'Ask the policy team a question' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Replays within 24 h return the first answer' })
  @ApiCreatedResponse({ type: InquiryReceipt })
  @ApiBadRequestResponse({ description: 'Lists every bad field' })
  @ApiPayloadTooLargeResponse({ description: 'Body over 64 KiB' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Body is not application/json' })
  @ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with another body' })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After' })
  async create(
    @Body() dto: CreateInquiryDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<InquiryReceipt> {
    const { receipt, replayed } = await this.inquiries.submit(dto, { ip: req.ip, idempotencyKey, channel: 'api' });
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return receipt;
  }
}
