import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { StaffWeb } from '../auth/auth.decorators.js';
import { PERSONAL_DATA_WORDS } from '../privacy/sensitive-data.js';
import { StaffPages } from '../web/staff-pages.js';
import type { WebRequest } from '../web/web-request.js';
import { PageComment, PageFeedbackReport, PRIOR_VOTES, RankedPage } from './page-feedback-report.service.js';

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' });
const rated = (average: number | null, votes: number) =>
  (votes ? `${average!.toFixed(1)} from ${votes} ${votes === 1 ? 'vote' : 'votes'}` : 'no votes');
const change = (n: number | null) => (n === null ? 'not enough votes' : n === 0 ? 'no change' : `${n > 0 ? 'up' : 'down'} ${Math.abs(n).toFixed(1)}`);

const pageRow = (p: RankedPage) => ({
  ...p,
  href: `/admin/page-feedback/pages/${p.id}`,
  ratedText: rated(p.average, p.votes),
  scoreText: p.score.toFixed(2),
  last30Text: rated(p.last30.average, p.last30.votes),
  last90Text: rated(p.last90.average, p.last90.votes),
  changeText: change(p.change),
  distributionRows: (['5', '4', '3', '2', '1'] as const).map((k) => ({
    stars: k, votes: p.distribution[k], share: p.votes ? `${Math.round((100 * p.distribution[k]) / p.votes)}%` : '0%',
  })),
});

const commentRow = (c: PageComment, revealed?: { commentId: string; comment: string }) => ({
  ...c,
  when: when.format(new Date(c.createdAt)),
  shown: c.status === 'visible' ? c.comment : revealed?.commentId === c.id ? revealed.comment : null,
  why: c.personalData.map((f) => PERSONAL_DATA_WORDS[f]).join(', '),
  channelText: c.channel === 'widget' ? 'the widget' : 'the feedback page',
});

/** "Page feedback" (SPEC §11), for every officer: pages ranked by a Bayesian average, votes over time, comments. */
@StaffWeb()
@Controller('admin/page-feedback')
export class PageFeedbackPagesController {
  constructor(private readonly report: PageFeedbackReport, private readonly pages: StaffPages) {}

  @Get()
  async list(@Req() req: WebRequest, @Res() res: Response, @Query('order') order: unknown): Promise<void> {
    const highest = order === 'highest';
    const [site, ranked] = await Promise.all([this.report.siteMean(), this.report.ranked(highest ? 'highest' : 'lowest')]);
    await this.pages.render(req, res, 'admin/page-feedback.njk', {
      section: 'page-feedback', site, prior: PRIOR_VOTES, order: highest ? 'highest' : 'lowest', pages: ranked.map(pageRow),
    });
  }

  @Get('pages/:id')
  show(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    return this.showPage(req, res, id);
  }

  /** Shows one hidden comment to the officer who asked: a post (never a link), audited as feedback.comment-revealed. */
  @Post('comments/:id/reveal')
  async reveal(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const revealed = await this.report.reveal(id, req.staff);
    await this.showPage(req, res, revealed.pageId, revealed);
  }

  private async showPage(req: WebRequest, res: Response, id: string, revealed?: { commentId: string; comment: string }): Promise<void> {
    const { page, comments, spam } = await this.report.page(id);
    await this.pages.render(req, res, 'admin/page-feedback-page.njk', {
      section: 'page-feedback', prior: PRIOR_VOTES, page: pageRow(page), spam,
      comments: comments.map((c) => commentRow(c, revealed)),
      revealedId: revealed?.commentId,
    });
  }
}
