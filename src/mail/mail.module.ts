import { Global, Module } from '@nestjs/common';
import { AuditService } from '../admin/audit.service.js';
import { OutboxService } from './outbox.service.js';

/** The outbox and the audit trail, used inside other modules' transactions. Sending lives in the queue module. */
@Global()
@Module({ providers: [OutboxService, AuditService], exports: [OutboxService, AuditService] })
export class MailModule {}
