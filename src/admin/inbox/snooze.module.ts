import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { RUN_SNOOZE_SWEEP, SnoozeScheduler } from './snooze.scheduler.js';
import { SnoozeService } from './snooze.service.js';

/**
 * Snooze (SPEC §9): the service every process that changes inquiries uses, and the wake-up sweep, which runs where
 * the queue workers run (the HTTP app with WORKERS=inline, and the worker process).
 */
@Global()
@Module({})
export class SnoozeModule {
  static forRoot(config: AppConfig, options: { workers?: boolean } = {}): DynamicModule {
    return {
      module: SnoozeModule,
      providers: [
        { provide: RUN_SNOOZE_SWEEP, useValue: options.workers ?? config.workers === 'inline' },
        SnoozeService, SnoozeScheduler,
      ],
      exports: [SnoozeService],
    };
  }
}
