import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { CommentReceipt, PageCommentDto, PageRatingView, RatePageDto, VoteReceipt } from './feedback.dto.js';
import { PageFeedbackService } from './page-feedback.service.js';

/** The API of "Rate this page" and "tell us what you think" (SPEC §11); CORS for FEEDBACK_SITES (feedback-http.ts). */
@ApiTags('page feedback')
@ApiBadRequestResponse({ description: 'Lists every bad field; a URL outside FEEDBACK_SITES is one' })
@ApiForbiddenResponse({ description: 'Called from a browser on an origin outside FEEDBACK_SITES' })
@Public()
@Controller('api/pages')
export class PageFeedbackApiController {
  constructor(private readonly feedback: PageFeedbackService) {}

  @Get('rating')
  @ApiOperation({ summary: 'A page\'s rating: the average to one decimal, the votes and how many gave each rating' })
  @ApiQuery({ name: 'url', description: 'The page' })
  @ApiOkResponse({ type: PageRatingView, description: 'Cacheable for 60 s' })
  async rating(@Query('url') url: unknown, @Res({ passthrough: true }) res: Response): Promise<PageRatingView> {
    const view = await this.feedback.rating(url);
    res.setHeader('Cache-Control', 'public, max-age=60');
    return view;
  }

  @Post('ratings')
  @HttpCode(201)
  @ApiOperation({ summary: 'Rate a page from 1 to 5; a second rating by the same visitor within 24 h replaces the first' })
  @ApiCreatedResponse({ type: VoteReceipt })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After' })
  vote(@Body() dto: RatePageDto, @Req() req: Request): Promise<VoteReceipt> {
    return this.feedback.vote(dto, { ip: req.ip, id: dto.visitorId });
  }

  @Post('feedback')
  @HttpCode(201)
  @ApiOperation({ summary: '"Tell us what you think" about a page; comments that look like personal data are hidden from staff until chosen' })
  @ApiCreatedResponse({ type: CommentReceipt })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After' })
  async comment(@Body() dto: PageCommentDto, @Req() req: Request): Promise<CommentReceipt> {
    await this.feedback.comment(dto, { ip: req.ip }, { channel: 'widget' });
    return { status: 'received' };
  }
}
