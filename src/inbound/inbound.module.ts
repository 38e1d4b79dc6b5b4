import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { InboundAdminService } from './inbound-admin.service.js';
import { InboundAttacher } from './inbound-attacher.js';
import { InboundMatcher } from './inbound-matcher.js';
import { InboundSmtpListener } from './inbound-smtp.listener.js';
import { InboundStore } from './inbound-store.js';
import { InboundAdminController, InboundWebhookController } from './inbound.controller.js';
import { InboundProcessor } from './inbound.processor.js';
import { HoldingPenPagesController } from './holding-pen-pages.controller.js';
import { InboundQueue, RUN_INBOUND_WORKER } from './inbound.queue.js';

/**
 * Enquirers' answers by email (SPEC §6a): two doors, one store, one queue, safe matching, the holding pen.
 * The HTTP app has the doors (webhook, and the SMTP listener when INBOUND_SMTP_PORT is set); the queue worker
 * runs where workers run (`WORKERS=inline`, or the worker process with `{ http: false, workers: true }`).
 */
@Module({})
export class InboundModule {
  static forRoot(config: AppConfig, options: { workers?: boolean; http?: boolean } = {}): DynamicModule {
    const http = options.http ?? true;
    const providers: Provider[] = [
      { provide: RUN_INBOUND_WORKER, useValue: options.workers ?? config.workers === 'inline' },
      InboundStore, InboundQueue, InboundProcessor, InboundMatcher, InboundAttacher, InboundAdminService,
    ];
    if (http) providers.push(InboundSmtpListener);
    return {
      module: InboundModule,
      controllers: http ? [InboundWebhookController, InboundAdminController, HoldingPenPagesController] : [],
      providers,
      exports: [InboundProcessor, InboundStore, ...(http ? [InboundSmtpListener] : [])],
    };
  }
}
