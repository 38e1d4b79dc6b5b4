import { Controller } from '@nestjs/common';
import { StaffWeb } from '../../auth/auth.decorators.js';

/** Saved replies (all staff): the canned replies officers insert into a reply. */
@StaffWeb()
@Controller('admin/saved-replies')
export class SavedRepliesPagesController {}
