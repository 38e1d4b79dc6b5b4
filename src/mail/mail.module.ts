import { Global, Module } from '@nestjs/common';
import { OutboxSignal } from './outbox-signal.js';
import { OutboxService } from './outbox.service.js';

/** The outbox, used inside other modules' transactions. Sending lives in the queue module. */
@Global()
@Module({ providers: [OutboxService, OutboxSignal], exports: [OutboxService, OutboxSignal] })
export class MailModule {}
