import { Controller } from '@nestjs/common';
import { AdminWeb } from '../../auth/auth.decorators.js';

/** Statistics (SPEC §8): §5's figures and inquiries per week by topic, as a chart and a table. */
@AdminWeb()
@Controller('admin/statistics')
export class StatisticsPagesController {}
