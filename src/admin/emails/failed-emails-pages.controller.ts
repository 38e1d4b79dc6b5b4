import { Controller } from '@nestjs/common';
import { AdminWeb } from '../../auth/auth.decorators.js';

/** Failed emails (admins), each with Retry. */
@AdminWeb()
@Controller('admin/failed-emails')
export class FailedEmailsPagesController {}
