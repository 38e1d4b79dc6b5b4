import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service.js';

/**
 * The audit trail, written inside other modules' transactions (auth, triage, mail, inbound, privacy, the CLI), so it
 * sits below all of them. The HTTP app adds the audit log's route and page (AuditModule.withHttp()).
 */
@Global()
@Module({ providers: [AuditService], exports: [AuditService] })
export class AuditModule {}
