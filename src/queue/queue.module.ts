import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { MailRenderer } from '../mail/mail-renderer.js';
import { MailTransport } from '../mail/mail-transport.js';
import { MailProcessor } from './mail.processor.js';
import { MailQueue } from './mail-queue.js';
import { OutboundEmails } from './outbound-emails.js';
import { OutboxRelay } from './outbox-relay.js';
import { OutboxSweeper } from './outbox-sweeper.js';

/**
 * The mail queue. Every process gets the producer (MailQueue, also what the queue dashboard shows);
 * the relay, the sweeper and the worker run where workers run: `WORKERS=inline` in the HTTP app, or
 * `npm run start:worker`.
 */
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig, options: { workers?: boolean } = {}): DynamicModule {
    const workers = options.workers ?? config.workers === 'inline';
    const providers: Provider[] = [MailQueue];
    if (workers) providers.push(OutboundEmails, MailRenderer, MailTransport, MailProcessor, OutboxRelay, OutboxSweeper);
    return { module: QueueModule, global: true, providers, exports: providers };
  }
}
