import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditLogService } from './audit-log.service.js';
import { AuditPagesController } from './audit-pages.controller.js';

/** The audit log for admins: `GET /api/admin/audit` and its page (the HTTP app only; writing is AuditModule's). */
@Module({ controllers: [AuditController, AuditPagesController], providers: [AuditLogService] })
export class AuditLogModule {}
