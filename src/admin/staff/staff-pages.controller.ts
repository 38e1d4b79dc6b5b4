import { Controller } from '@nestjs/common';
import { AdminWeb } from '../../auth/auth.decorators.js';

/** Staff (admins): invite, role, deactivate. */
@AdminWeb()
@Controller('admin/staff')
export class StaffPagesController {}
