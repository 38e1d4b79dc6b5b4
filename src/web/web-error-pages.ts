import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SignInRequired } from '../common/errors.js';
import type { ErrorBody } from '../common/error.filter.js';
import { Pages } from './pages.js';
import type { WebRequest } from './web-request.js';

const TITLES: Record<number, { title: string; paragraphs: string[] }> = {
  400: { title: 'Something in the request is not right', paragraphs: ['Go back, check what you entered and try again.'] },
  403: { title: 'You cannot use this page', paragraphs: [] },
  404: { title: 'Page not found', paragraphs: ['If you typed the web address, check it is correct. If you followed a link, the inquiry or item may have been removed.'] },
  409: { title: 'Someone else changed this first', paragraphs: ['Go back, reload the page and try again.'] },
  422: { title: 'This cannot be done', paragraphs: [] },
  429: { title: 'Too many attempts', paragraphs: ['Wait a few minutes, then try again.'] },
  503: { title: 'The Policy Inbox is briefly unavailable', paragraphs: ['Nothing was saved. Try again in a moment.'] },
};

/**
 * Errors on web inbox pages become pages, not JSON: a visit without a session goes to sign-in (and comes back),
 * and every other error is a page in the staff layout that says what happened and what to do.
 */
@Injectable()
export class WebErrorPages {
  constructor(private readonly pages: Pages) {}

  /** The web inbox's paths: `/admin/…`, except the queue dashboard (a third-party app with its own answers). */
  handles(req: Request): boolean {
    const path = req.path;
    return (path === '/admin' || path.startsWith('/admin/')) && !path.startsWith('/admin/queues');
  }

  render(req: Request, res: Response, body: ErrorBody, exception: unknown): void {
    res.setHeader('Cache-Control', 'no-store');
    if (exception instanceof SignInRequired) {
      const next = req.method === 'GET' ? exception.next : req.get('referer') && new URL(req.get('referer')!, 'http://x').pathname;
      res.redirect(303, `/admin/login${next && next !== '/admin/inbox' ? `?next=${encodeURIComponent(next)}` : ''}`);
      return;
    }
    const status = body.statusCode;
    const known = TITLES[status] ?? { title: 'Sorry, something went wrong', paragraphs: ['Nothing was lost. Try again, or go back to the inbox.'] };
    const session = (req as Partial<WebRequest>).webSession;
    const paragraphs = status === 404 || status >= 500 ? known.paragraphs : [body.message, ...known.paragraphs];
    res.status(status).type('html').send(this.pages.render('admin/problem.njk', {
      title: status === 403 && /admin role/.test(body.message) ? 'You need to be an admin to use this page' : known.title,
      paragraphs: status === 403 && /admin role/.test(body.message)
        ? ['This page is for team leads (admins) of the Policy Inbox. Ask one of them if you need something done here.']
        : paragraphs,
      correlationId: body.correlationId,
      link: { href: '/admin/inbox', label: 'Go to the inbox' },
      me: session?.staff, csrfToken: session?.csrfToken,
    }));
  }
}
