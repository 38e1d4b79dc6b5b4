import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { FeedbackReportModule } from '../feedback/feedback-report.module.js';
import { Anonymiser } from './anonymiser.js';
import { DataSubjectsService } from './data-subjects.service.js';
import { DigestService } from './digest.service.js';
import { MaintenanceQueue, RUN_MAINTENANCE } from './maintenance.queue.js';
import { PrivacyController } from './privacy.controller.js';
import { DataProtectionPagesController } from './data-protection-pages.controller.js';
import { RetentionService } from './retention.service.js';

/**
 * Data protection (SPEC §6): retention, subject access, erasure; plus the daily overdue digest, which shares
 * the scheduler. The schedules and their worker run where workers run.
 */
@Module({})
export class PrivacyModule {
  static forRoot(config: AppConfig, options: { workers?: boolean; http?: boolean } = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: RUN_MAINTENANCE, useValue: options.workers ?? config.workers === 'inline' },
      Anonymiser, RetentionService, DataSubjectsService, DigestService, MaintenanceQueue,
    ];
    return {
      module: PrivacyModule,
      imports: [FeedbackReportModule],
      controllers: options.http ?? true ? [PrivacyController, DataProtectionPagesController] : [],
      providers,
      exports: [RetentionService, DigestService],
    };
  }
}
