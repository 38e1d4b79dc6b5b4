import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { FieldError, InvalidInput, TooManyRequests } from '../common/errors.js';
import { fieldErrors } from '../common/validation.js';
import { AppConfig } from '../config/app-config.js';
import type { FormView } from '../inquiries/contact-form.service.js';
import { sign, verify } from '../inquiries/signed.js';
import { FeedbackSites } from './feedback-sites.js';
import { PageCommentDto, RatePageDto } from './feedback.dto.js';
import { PageFeedbackService } from './page-feedback.service.js';

/** Our first-party cookie on /feedback opened as a page of its own; a framed /feedback (cross-site) gets none. */
const VISITOR_COOKIE = 'pi_feedback_visitor';
const FORM = 'page-feedback-form';
const RATINGS = [
  { value: '1', label: '1 star, very poor' }, { value: '2', label: '2 stars, poor' }, { value: '3', label: '3 stars, fair' },
  { value: '4', label: '4 stars, good' }, { value: '5', label: '5 stars, excellent' },
];

interface FormToken {
  u: string;
  t: number;
}

type Values = { rating?: string; comment?: string; website?: string };

/**
 * `GET /feedback?url=…`: the widget as a plain page, for sites that cannot run scripts, and framable by the
 * FEEDBACK_SITES. Forms post, then 303 back with "Thank you!".
 *
 * No CSRF cookie here, unlike /contact: framed on the charity's page our cookies are third-party and never arrive,
 * and a post carries no authority to abuse (no session; anyone may rate through the public API). The form instead
 * carries a signed token naming the page and when the form was drawn (the "posted too fast" spam check).
 */
@Injectable()
export class FeedbackFormService {
  constructor(private readonly feedback: PageFeedbackService, private readonly sites: FeedbackSites, private readonly config: AppConfig) {}

  async page(req: Request, res: Response): Promise<FormView> {
    let url: string;
    try {
      url = this.sites.page(req.query.url);
    } catch (err) {
      if (err instanceof InvalidInput) return this.unknownPage();
      throw err;
    }
    const sent = req.query.sent === 'rating' || req.query.sent === 'comment' ? req.query.sent : undefined;
    return this.view(req, res, 200, url, {}, [], sent);
  }

  async rate(req: Request, res: Response): Promise<FormView> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = this.token(body);
    if (!token) return this.expired(body);
    const rating = typeof body.rating === 'string' && /^[1-5]$/.test(body.rating) ? Number(body.rating) : undefined;
    if (rating === undefined) {
      return this.view(req, res, 400, token.u, {}, [{ field: 'rating-1', message: 'Choose a rating from 1 to 5 stars' }]);
    }
    return this.attempt(req, res, token.u, {}, 'rating', async () => {
      const dto = plainToInstance(RatePageDto, { url: token.u, rating });
      await this.feedback.vote(dto, { ip: req.ip, id: this.visitor(req) });
    });
  }

  async comment(req: Request, res: Response): Promise<FormView> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = this.token(body);
    if (!token) return this.expired(body);
    const values: Values = { comment: typeof body.comment === 'string' ? body.comment : '' };
    const plain: Record<string, unknown> = { url: token.u, comment: values.comment };
    if (typeof body.website === 'string' && body.website) plain.website = body.website;
    const dto = plainToInstance(PageCommentDto, plain);
    const errors = fieldErrors(await validate(dto, { forbidUnknownValues: true, validationError: { target: false, value: true } }));
    if (errors.length) return this.view(req, res, 400, token.u, values, errors.map((e) => this.commentError(e, values.comment ?? '')));
    return this.attempt(req, res, token.u, values, 'comment', () =>
      this.feedback.comment(dto, { ip: req.ip }, { channel: 'page', formFillMs: Date.now() - token.t }));
  }

  private async attempt(req: Request, res: Response, url: string, values: Values, sent: 'rating' | 'comment', work: () => Promise<void>): Promise<FormView> {
    try {
      await work();
    } catch (err) {
      if (err instanceof TooManyRequests) {
        return {
          status: 429, view: 'feedback-problem.njk', headers: { 'Retry-After': String(err.retryAfterSeconds) },
          context: { title: 'You have sent a lot of feedback recently', text: `Please try again in ${Math.ceil(err.retryAfterSeconds / 60)} minutes.`, link: this.href(url) },
        };
      }
      if (err instanceof InvalidInput) return this.view(req, res, 400, url, values, err.errors);
      throw err;
    }
    return { status: 303, view: '', context: {}, redirect: `${this.href(url)}&sent=${sent}` };
  }

  private commentError(e: FieldError, value: string): FieldError {
    if (e.field !== 'comment') return { field: 'comment', message: 'Your feedback could not be sent. Please try again.' };
    if (!value.trim()) return { field: 'comment', message: 'Enter your feedback' };
    if (/characters/.test(e.message)) return { field: 'comment', message: 'Your feedback must be 2000 characters or fewer' };
    return { field: 'comment', message: 'Your feedback contains characters we cannot accept' };
  }

  private async view(req: Request, res: Response, status: number, url: string, values: Values, errors: FieldError[], sent?: string): Promise<FormView> {
    this.ensureVisitor(req, res);
    const rating = await this.feedback.rating(url);
    const formToken = sign(this.config.appSecret, FORM, { u: url, t: Date.now() } satisfies FormToken);
    return {
      status,
      view: 'feedback.njk',
      context: {
        url, formToken, values, errors, sent, ratings: RATINGS,
        errorFor: Object.fromEntries(errors.map((e) => [e.field, e.message])),
        rated: rating.votes
          ? `Currently rated: ${rating.average!.toFixed(1)} out of 5 based on ${rating.votes} ${rating.votes === 1 ? 'vote' : 'votes'}`
          : 'Not rated yet. Be the first to rate this page.',
      },
    };
  }

  private token(body: Record<string, unknown>): FormToken | undefined {
    const token = verify<FormToken>(this.config.appSecret, FORM, body.formToken);
    return token && typeof token.u === 'string' && typeof token.t === 'number' ? token : undefined;
  }

  private href(url: string): string {
    return `/feedback?url=${encodeURIComponent(url)}`;
  }

  private expired(body: Record<string, unknown>): FormView {
    const url = typeof body.url === 'string' ? body.url : undefined;
    return {
      status: 403, view: 'feedback-problem.njk', context: {
        title: 'Your form has expired',
        text: 'Your feedback could not be sent. Go back to the page and send it again.',
        link: url ? this.href(url) : undefined,
      },
    };
  }

  private unknownPage(): FormView {
    return {
      status: 400, view: 'feedback-problem.njk', context: {
        title: 'This page cannot take feedback here',
        text: 'The address of the page is missing, or it is not a page of a site that uses this feedback form.',
      },
    };
  }

  private visitor(req: Request): string | undefined {
    const id = req.cookies?.[VISITOR_COOKIE];
    return typeof id === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(id) ? id : undefined;
  }

  private ensureVisitor(req: Request, res: Response): void {
    if (this.visitor(req)) return;
    res.cookie(VISITOR_COOKIE, randomBytes(18).toString('base64url'), {
      httpOnly: true, sameSite: 'lax', secure: this.config.publicBaseUrl.startsWith('https://'), path: '/feedback', maxAge: 24 * 3600_000,
    });
  }
}
