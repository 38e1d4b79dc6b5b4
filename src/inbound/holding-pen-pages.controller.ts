import { Controller } from '@nestjs/common';
import { AdminWeb } from '../auth/auth.decorators.js';

/** The holding pen (admins): read a held message, attach it to an inquiry by reference. */
@AdminWeb()
@Controller('admin/holding-pen')
export class HoldingPenPagesController {}
