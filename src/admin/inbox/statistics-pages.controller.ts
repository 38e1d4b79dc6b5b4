import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AdminWeb } from '../../auth/auth.decorators.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import { InboxListService } from './inbox-list.service.js';
import { longWeek, stackedBarChart, StatisticsService } from './statistics.service.js';

const STATUSES: [string, string][] = [['new', 'New'], ['open', 'Open'], ['waiting', 'Waiting for the enquirer'], ['resolved', 'Resolved'], ['spam', 'Spam']];

/** "26.5 hours" or "3.2 days": the median first response in words. */
function duration(hours: number | null): string | null {
  if (hours === null) return null;
  if (hours < 48) return `${hours.toLocaleString('en-GB', { maximumFractionDigits: 1 })} hour${hours === 1 ? '' : 's'}`;
  return `${(hours / 24).toLocaleString('en-GB', { maximumFractionDigits: 1 })} days`;
}

/** Statistics (SPEC §8): §5's figures and inquiries per week by topic, as a chart and a table. */
@AdminWeb()
@Controller('admin/statistics')
export class StatisticsPagesController {
  constructor(private readonly inbox: InboxListService, private readonly statistics: StatisticsService, private readonly pages: StaffPages) {}

  @Get()
  async show(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const [stats, weekly] = await Promise.all([this.inbox.stats(), this.statistics.weeklyByTopic()]);
    await this.pages.render(req, res, 'admin/statistics.njk', {
      section: 'statistics',
      overdue: stats.overdue,
      medianFirstResponse: duration(stats.medianFirstResponseHours),
      medianFirstResponseHours: stats.medianFirstResponseHours,
      byStatus: STATUSES.map(([key, label]) => ({ label, n: stats.byStatus[key] ?? 0 })),
      statusTotal: Object.values(stats.byStatus).reduce((a, b) => a + b, 0),
      byTopic: Object.entries(stats.byTopic).map(([key, n]) => ({ label: weekly.labels[key] ?? key, n })),
      topicTotal: Object.values(stats.byTopic).reduce((a, b) => a + b, 0),
      weekly: {
        ...weekly,
        weeks: weekly.weeks.map((w) => ({ ...w, label: longWeek(w.week), cells: weekly.topics.map((t) => w.counts[t.key] ?? 0) })),
      },
      chart: stackedBarChart(weekly),
    });
  }
}
