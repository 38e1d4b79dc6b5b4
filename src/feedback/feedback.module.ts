import { Module } from '@nestjs/common';
import { FeedbackLimits } from './feedback-limits.js';
import { FeedbackSites } from './feedback-sites.js';
import { PageFeedbackApiController } from './page-feedback-api.controller.js';
import { PageFeedbackService } from './page-feedback.service.js';
import { VisitorKeys } from './visitor-keys.js';

/**
 * Page feedback (SPEC §11): "Rate this page" and "tell us what you think" for the pages of FEEDBACK_SITES — the
 * API and its widget (public/page-feedback.js), the plain /feedback page, the example page, and the staff page.
 */
@Module({
  controllers: [PageFeedbackApiController],
  providers: [FeedbackSites, VisitorKeys, FeedbackLimits, PageFeedbackService],
  exports: [PageFeedbackService],
})
export class FeedbackModule {}
