import { Controller } from '@nestjs/common';
import { StaffWeb } from '../../auth/auth.decorators.js';

/** The inbox page (SPEC §8): views with counts, filters, search, the table, next page, CSV. */
@StaffWeb()
@Controller('admin/inbox')
export class InboxPagesController {}
