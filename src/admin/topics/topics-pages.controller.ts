import { Controller } from '@nestjs/common';
import { AdminWeb } from '../../auth/auth.decorators.js';

/** Topics (admins): label, mailbox, response target, active. */
@AdminWeb()
@Controller('admin/topics')
export class TopicsPagesController {}
