import { Controller } from '@nestjs/common';
import { AdminWeb } from '../auth/auth.decorators.js';

/** The audit log page (admins), filterable. */
@AdminWeb()
@Controller('admin/audit')
export class AuditPagesController {}
