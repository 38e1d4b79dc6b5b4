import { Module } from '@nestjs/common';
import { AuditPagesController } from './audit-pages.controller.js';

/** The audit log for admins: `GET /api/admin/audit` and its page (the HTTP app only; writing is AuditModule's). */
@Module({ controllers: [AuditPagesController] })
export class AuditLogModule {}
