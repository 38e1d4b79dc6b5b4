import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { Flash, SessionsService } from '../auth/sessions.service.js';
import { errorsByField } from './forms.js';
import { Pages } from './pages.js';
import type { WebRequest } from './web-request.js';

/**
 * Draws a web inbox page: the view model a controller gathered, plus what every staff page has (who is signed in,
 * the CSRF token, the notice left by the last post). Pages are never cached, since they hold personal data.
 */
@Injectable()
export class StaffPages {
  constructor(private readonly pages: Pages, private readonly sessions: SessionsService) {}

  async render(req: WebRequest, res: Response, view: string, context: Record<string, unknown> = {}, status = 200): Promise<void> {
    const session = req.webSession;
    const flash = session ? await this.sessions.takeFlash(session) : null;
    res.setHeader('Cache-Control', 'no-store');
    res.status(status).type('html').send(this.pages.render(view, {
      // The inline errors come from the summary's list unless a page words them itself.
      errorFor: Array.isArray(context.errors) ? errorsByField(context.errors) : {},
      ...context, me: session?.staff, csrfToken: session?.csrfToken, flash, currentPath: req.originalUrl,
      shortcuts: session?.shortcuts ?? false,
    }));
  }

  /** Post/redirect/get: 303 to the page that shows the result, with an optional notice for it. */
  async redirect(req: WebRequest, res: Response, location: string, flash?: Flash | string): Promise<void> {
    if (flash && req.webSession) await this.sessions.setFlash(req.webSession, typeof flash === 'string' ? { text: flash } : flash);
    res.redirect(303, location);
  }
}
