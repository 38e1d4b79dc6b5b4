import { Global, Module } from '@nestjs/common';
import { OutboxService } from './outbox.service.js';

/** Rendering and the outbox. Sending (transport, relay, workers) lives in the queue module. */
@Global()
@Module({ providers: [OutboxService], exports: [OutboxService] })
export class MailModule {}
