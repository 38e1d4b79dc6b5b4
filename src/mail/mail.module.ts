import { Global, Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { OutboxSignal } from './outbox-signal.js';
import { OutboxService } from './outbox.service.js';

/** The outbox and the audit trail, used inside other modules' transactions. Sending lives in the queue module. */
@Global()
@Module({ providers: [OutboxService, OutboxSignal, AuditService], exports: [OutboxService, OutboxSignal, AuditService] })
export class MailModule {}
