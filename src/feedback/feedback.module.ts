import { Module } from '@nestjs/common';
import { ExamplePageController } from './example-page.controller.js';
import { FeedbackFormService } from './feedback-form.service.js';
import { FeedbackLimits } from './feedback-limits.js';
import { FeedbackPageController } from './feedback-page.controller.js';
import { FeedbackSites } from './feedback-sites.js';
import { PageFeedbackApiController } from './page-feedback-api.controller.js';
import { PageFeedbackPagesController } from './page-feedback-pages.controller.js';
import { FeedbackReportModule } from './feedback-report.module.js';
import { PageFeedbackService } from './page-feedback.service.js';
import { VisitorKeys } from './visitor-keys.js';

/**
 * Page feedback (SPEC §11): "Rate this page" and "tell us what you think" for the pages of FEEDBACK_SITES — the
 * API and its widget (public/page-feedback.js), the plain /feedback page, the example page, and the staff page.
 */
@Module({
  imports: [FeedbackReportModule],
  controllers: [PageFeedbackApiController, FeedbackPageController, ExamplePageController, PageFeedbackPagesController],
  providers: [FeedbackSites, VisitorKeys, FeedbackLimits, PageFeedbackService, FeedbackFormService],
  exports: [PageFeedbackService],
})
export class FeedbackModule {}
