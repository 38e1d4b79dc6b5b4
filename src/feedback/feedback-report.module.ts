import { Module } from '@nestjs/common';
import { PageFeedbackReport } from './page-feedback-report.service.js';

/** The staff side's reading of page feedback, on its own so the worker's daily digest can use it without the pages. */
@Module({ providers: [PageFeedbackReport], exports: [PageFeedbackReport] })
export class FeedbackReportModule {}
