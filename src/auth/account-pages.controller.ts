import { Controller } from '@nestjs/common';
import { StaffWeb } from './auth.decorators.js';

/** My account: change password. */
@StaffWeb()
@Controller('admin/account')
export class AccountPagesController {}
