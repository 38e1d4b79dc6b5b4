import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Response } from 'express';
import { AdminWeb } from '../../auth/auth.decorators.js';
import { Conflict, FieldError } from '../../common/errors.js';
import { fieldErrors } from '../../common/validation.js';
import { AppConfig } from '../../config/app-config.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import { CreateTopicDto, UpdateTopicDto } from './topics.dto.js';
import { AdminTopicsService } from './topics.service.js';
import { formText as text } from '../../web/forms.js';

/** The form's fields, in the order the page shows them (and the error summary lists them). */
const FIELDS = ['key', 'label', 'description', 'mailbox', 'responseTargetDays'] as const;
type TopicForm = Record<(typeof FIELDS)[number], string> & { active?: boolean };

/** What a person reads when a field is wrong; `typed` is what they entered. */
const MESSAGES: Record<string, (typed: string) => string> = {
  key: (typed) => (typed ? 'Enter a key of lower-case letters, digits and hyphens only, like waiting-times (50 at most)' : 'Enter a key, like waiting-times'),
  label: (typed) => (typed ? 'Enter a label of 200 characters or fewer, on one line' : 'Enter a label'),
  description: () => 'Enter a description of 1000 characters or fewer, on one line',
  mailbox: () => 'Enter the mailbox as an email address, like policy@charity.example, or leave it empty for the team inbox',
  responseTargetDays: () => 'Enter the response target as a whole number of working days, from 1 to 100',
};

/** A whole number as typed, or the text itself so that the DTO's @IsInt refuses it. */
const wholeNumber = (typed: string): number | string => (/^\d{1,6}$/.test(typed) ? Number(typed) : typed);

function readForm(body: unknown): TopicForm {
  const b = (body ?? {}) as Record<string, unknown>;
  const form = Object.fromEntries(FIELDS.map((f) => [f, text(b[f]).trim()])) as Record<(typeof FIELDS)[number], string>;
  return { ...form, active: b.active === 'yes' };
}

/** The DTO's own rules, in the words of the page. */
async function formErrors(dto: object, form: TopicForm): Promise<FieldError[]> {
  const errors = fieldErrors(await validate(dto));
  return FIELDS.flatMap((f) => errors.filter((e) => e.field === f).slice(0, 1))
    .map((e) => ({ field: e.field, message: MESSAGES[e.field]?.(form[e.field as keyof TopicForm] as string) ?? e.message }));
}


/** Topics (admins): label, mailbox, response target, active; add one; change one on its own page. */
@AdminWeb()
@Controller('admin/topics')
export class TopicsPagesController {
  constructor(private readonly topics: AdminTopicsService, private readonly pages: StaffPages, private readonly config: AppConfig) {}

  @Get()
  list(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    return this.showList(req, res);
  }

  @Post()
  async create(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const form = readForm(req.body);
    const dto = plainToInstance(CreateTopicDto, {
      key: form.key, label: form.label, description: form.description, mailbox: form.mailbox || null,
      responseTargetDays: wholeNumber(form.responseTargetDays),
    });
    const errors = await formErrors(dto, form);
    if (errors.length) return this.showList(req, res, 400, form, errors);
    try {
      const topic = await this.topics.create(dto, req.staff);
      await this.pages.redirect(req, res, '/admin/topics', `Topic “${topic.label}” added`);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      await this.showList(req, res, 409, form, [{ field: 'key', message: 'A topic with this key already exists: choose another key' }]);
    }
  }

  @Get(':key')
  async edit(@Req() req: WebRequest, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const topic = await this.topics.get(key);
    const form = { ...topic, mailbox: topic.mailbox ?? '', responseTargetDays: String(topic.responseTargetDays) };
    await this.showEdit(req, res, topic.key, topic.label, form);
  }

  @Post(':key')
  async save(@Req() req: WebRequest, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const topic = await this.topics.get(key);
    const form = { ...readForm(req.body), key: topic.key };
    const dto = plainToInstance(UpdateTopicDto, {
      label: form.label, description: form.description, mailbox: form.mailbox || null,
      responseTargetDays: wholeNumber(form.responseTargetDays), active: form.active,
    });
    const errors = await formErrors(dto, form);
    if (errors.length) return this.showEdit(req, res, topic.key, topic.label, form, 400, errors);
    const saved = await this.topics.update(key, dto, req.staff);
    await this.pages.redirect(req, res, '/admin/topics', `Topic “${saved.label}” saved`);
  }

  private async showList(req: WebRequest, res: Response, status = 200, values: Partial<TopicForm> = { responseTargetDays: '10' }, errors: FieldError[] = []): Promise<void> {
    await this.pages.render(req, res, 'admin/topics.njk', {
      section: 'topics', topics: await this.topics.list(), teamInbox: this.config.teamInbox, values, errors,
    }, status);
  }

  private async showEdit(
    req: WebRequest, res: Response, key: string, label: string, values: Partial<TopicForm>, status = 200, errors: FieldError[] = [],
  ): Promise<void> {
    await this.pages.render(req, res, 'admin/topics-edit.njk', {
      section: 'topics', key, label, teamInbox: this.config.teamInbox, values, errors,
    }, status);
  }
}
