import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { FieldError, InvalidInput, TooManyRequests } from '../common/errors.js';
import { FormCsrf } from '../common/form-csrf.js';
import { fieldErrors } from '../common/validation.js';
import { AppConfig } from '../config/app-config.js';
import { CreateInquiryDto } from './create-inquiry.dto.js';
import { InquiriesService } from './inquiries.service.js';
import { ENQUIRER_TYPES } from './inquiry.entity.js';
import { TopicsService } from './topics.service.js';
import { sign, verify } from './signed.js';

const FORM_FIELDS = ['name', 'email', 'organisation', 'enquirerType', 'topic', 'subject', 'message', 'consent', 'website', 'sourceUrl'] as const;
type FormValues = Partial<Record<(typeof FORM_FIELDS)[number], string>>;

export const ENQUIRER_LABELS: Record<(typeof ENQUIRER_TYPES)[number], string> = {
  public: 'Member of the public',
  health_professional: 'Health professional',
  researcher: 'Researcher',
  journalist: 'Journalist',
  parliamentary: 'Parliamentary office (MP, peer or their staff)',
  charity: 'Charity or voluntary organisation',
  industry: 'Industry',
  other: 'Other',
};

/** The words the form uses for each problem (GOV.UK pattern: say what to do, not what went wrong). */
function formMessage(field: string, error: FieldError, value: string | undefined): string {
  const empty = value === undefined || value.trim() === '';
  switch (field) {
    case 'name': return empty ? 'Enter your name' : /characters$/.test(error.message) ? 'Name must be 200 characters or fewer' : 'Name must be on one line, without special characters';
    case 'email': return empty ? 'Enter your email address' : 'Enter an email address in the correct format, like name@example.com';
    case 'organisation': return /characters/.test(error.message) ? 'Organisation must be 200 characters or fewer' : 'Organisation must be on one line, without special characters';
    case 'enquirerType': return 'Select who you are asking as';
    case 'topic': return 'Select what your question is about';
    case 'subject': return empty ? 'Enter a subject' : /characters$/.test(error.message) ? 'Subject must be 200 characters or fewer' : 'Subject must be on one line, without special characters';
    case 'message':
      if (empty) return 'Enter your question';
      return /control/.test(error.message) ? 'Your question contains characters we cannot accept' : (value && [...value].length > 5000) ? 'Your question must be 5000 characters or fewer' : 'Your question must be at least 10 characters';
    case 'consent': return 'Confirm that we may use your details to answer your question';
    case 'sourceUrl': return 'The page address is not valid';
    default: return error.message;
  }
}

interface FormToken {
  n: string;
  t: number;
}

export interface FormView {
  status: number;
  view: string;
  context: Record<string, unknown>;
  headers?: Record<string, string>;
  redirect?: string;
}

/** The no-JavaScript form of SPEC §3.1 over the same service as the JSON API. */
@Injectable()
export class ContactFormService {
  private readonly csrf: FormCsrf;

  constructor(private readonly inquiries: InquiriesService, private readonly topics: TopicsService, private readonly config: AppConfig) {
    this.csrf = new FormCsrf(config.appSecret, config.publicBaseUrl);
  }

  async blank(req: Request, res: Response): Promise<FormView> {
    const page = (v: unknown) => (typeof v === 'string' && /^https?:\/\/\S{1,2000}$/.test(v) ? v : undefined);
    // `/contact?topic=<key>&source=<page>` (SPEC §3.1): a policy page's "Email the team" link; `from` is the older name.
    const topic = typeof req.query.topic === 'string' && /^[a-z0-9-]{1,64}$/.test(req.query.topic) ? req.query.topic : undefined;
    return this.formView(req, res, 200, { sourceUrl: page(req.query.source) ?? page(req.query.from), topic }, []);
  }

  async submit(req: Request, res: Response): Promise<FormView> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!this.csrf.valid(req)) {
      return { status: 403, view: 'problem.njk', context: {
        title: 'Your form has expired',
        text: 'For your security, the form could not be sent. Go back to the form, check your answers and send it again.',
        link: '/contact',
      } };
    }
    const values: FormValues = {};
    for (const f of FORM_FIELDS) if (typeof body[f] === 'string') values[f] = body[f] as string;
    const token = verify<FormToken>(this.config.appSecret, 'contact-form', body.formToken);
    const plain: Record<string, unknown> = {
      name: values.name?.trim() ?? '',
      email: values.email?.trim() ?? '',
      enquirerType: values.enquirerType,
      topic: values.topic,
      subject: values.subject?.trim() ?? '',
      message: values.message ?? '',
      consent: values.consent === 'yes',
    };
    if (values.organisation?.trim()) plain.organisation = values.organisation.trim();
    if (values.sourceUrl?.trim()) plain.sourceUrl = values.sourceUrl.trim();
    if (values.website) plain.website = values.website;
    const dto = plainToInstance(CreateInquiryDto, plain);
    const errors = fieldErrors(await validate(dto, { forbidUnknownValues: true, validationError: { target: false, value: true } }));
    if (errors.length) return this.formView(req, res, 400, values, errors);
    try {
      const { receipt } = await this.inquiries.submit(dto, {
        ip: req.ip,
        channel: 'form',
        formFillMs: token ? Date.now() - token.t : undefined,
        // The form's own token makes a double click (or a resend after a slow answer) one inquiry.
        idempotencyKey: token ? `form:${token.n}` : undefined,
      });
      const receiptToken = sign(this.config.appSecret, 'receipt', { r: receipt.reference, d: receipt.expectedResponseBy });
      return { status: 303, view: '', context: {}, redirect: `/contact/confirmation?receipt=${receiptToken}` };
    } catch (err) {
      if (err instanceof InvalidInput) return this.formView(req, res, 400, values, err.errors);
      if (err instanceof TooManyRequests) {
        return { status: 429, view: 'problem.njk', headers: { 'Retry-After': String(err.retryAfterSeconds) }, context: {
          title: 'You have sent several questions recently',
          text: `To protect the service, we limit how many questions can be sent in an hour. Please try again in ${Math.ceil(err.retryAfterSeconds / 60)} minutes.`,
          link: '/contact',
        } };
      }
      throw err;
    }
  }

  confirmation(receipt: unknown): FormView {
    const data = verify<{ r: string; d: string }>(this.config.appSecret, 'receipt', receipt);
    if (!data) {
      return { status: 404, view: 'problem.njk', context: { title: 'Page not found', text: 'This confirmation link is not valid.', link: '/contact' } };
    }
    const replyBy = new Date(`${data.d}T12:00:00Z`).toLocaleDateString('en-GB', {
      weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London',
    }).replace(',', ''); // "Tuesday 8 December 2026", the GOV.UK date style
    return { status: 200, view: 'confirmation.njk', context: { reference: data.r, replyBy } };
  }

  private async formView(req: Request, res: Response, status: number, values: FormValues, errors: FieldError[]): Promise<FormView> {
    const csrfToken = this.csrf.token(req, res);
    const formToken = sign(this.config.appSecret, 'contact-form', { n: randomBytes(12).toString('base64url'), t: Date.now() } satisfies FormToken);
    const friendly = errors
      .filter((e) => (FORM_FIELDS as readonly string[]).includes(e.field))
      .map((e) => ({ field: e.field, message: formMessage(e.field, e, values[e.field as keyof FormValues]) }));
    const errorFor = Object.fromEntries(friendly.map((e) => [e.field, e.message]));
    const topics = (await this.topics.active()).map(({ key, label }) => ({ key, label }));
    return {
      status,
      view: 'contact.njk',
      context: {
        values, errors: friendly, errorFor, csrfToken, formToken, topics,
        enquirerTypes: Object.entries(ENQUIRER_LABELS).map(([value, label]) => ({ value, label })),
      },
    };
  }
}
