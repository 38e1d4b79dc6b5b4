import { Controller } from '@nestjs/common';
import { AdminWeb } from '../auth/auth.decorators.js';

/** Data protection (admins): retention runs and Run now; subject access export and erasure. */
@AdminWeb()
@Controller('admin/data-protection')
export class DataProtectionPagesController {}
