import { Controller } from '@nestjs/common';
import { StaffWeb } from '../../auth/auth.decorators.js';

/** An inquiry's page (SPEC §8): who asked, the conversation, triage, reply and note. */
@StaffWeb()
@Controller('admin/inquiries')
export class InquiryPagesController {}
