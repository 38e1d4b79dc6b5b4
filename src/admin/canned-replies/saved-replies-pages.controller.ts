import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { StaffWeb } from '../../auth/auth.decorators.js';
import { FieldError, InvalidInput, NotFound } from '../../common/errors.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import { isUuid } from '../inbox/inbox.dto.js';
import { CannedRepliesService, SavedReplyForm } from './canned-replies.service.js';
import { formText as text } from '../../web/forms.js';

/** What a person reads when a field is wrong; `typed` is what they entered. */
const MESSAGES: Record<string, (typed: string) => string> = {
  title: (typed) => (typed.trim() ? 'Enter a title of 200 characters or fewer, on one line' : 'Enter a title'),
  body: (typed) => (typed.trim() ? 'Enter text of 10,000 characters or fewer, without control characters' : 'Enter the text of the saved reply'),
};


function readForm(body: unknown): SavedReplyForm {
  const b = (body ?? {}) as Record<string, unknown>;
  return { title: text(b.title), body: text(b.body) };
}

/** The service's field errors in the words of the page, one per field, in the order the form shows them. */
function inWords(err: InvalidInput, form: SavedReplyForm): FieldError[] {
  return (['title', 'body'] as const).flatMap((f) => err.errors.filter((e) => e.field === f).slice(0, 1))
    .map((e) => ({ field: e.field, message: MESSAGES[e.field]?.(form[e.field as keyof SavedReplyForm]) ?? e.message }));
}


/** The first lines of a reply, for the list. */
function preview(body: string): string {
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(0, 2).join(' ');
  return [...lines].length > 160 ? `${[...lines].slice(0, 159).join('')}…` : lines;
}

/** Saved replies (all staff): the canned replies officers insert into a reply. Add, change, delete (after a confirmation). */
@StaffWeb()
@Controller('admin/saved-replies')
export class SavedRepliesPagesController {
  constructor(private readonly replies: CannedRepliesService, private readonly pages: StaffPages) {}

  @Get()
  list(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    return this.showList(req, res);
  }

  @Post()
  async create(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const form = readForm(req.body);
    try {
      const reply = await this.replies.createFromForm(form, req.staff);
      await this.pages.redirect(req, res, '/admin/saved-replies', `Saved reply “${reply.title}” added`);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      await this.showList(req, res, 400, form, inWords(err, form));
    }
  }

  @Get(':id')
  async edit(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const reply = await this.replies.get(this.known(id));
    await this.showEdit(req, res, reply.id, reply.title, { title: reply.title, body: reply.body });
  }

  @Post(':id')
  async save(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const reply = await this.replies.get(this.known(id));
    const form = readForm(req.body);
    try {
      const saved = await this.replies.updateFromForm(reply.id, form);
      await this.pages.redirect(req, res, '/admin/saved-replies', `Saved reply “${saved.title}” saved`);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      await this.showEdit(req, res, reply.id, reply.title, form, 400, inWords(err, form));
    }
  }

  @Get(':id/delete')
  async confirmDelete(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const reply = await this.replies.get(this.known(id));
    await this.pages.render(req, res, 'admin/saved-replies-delete.njk', { section: 'saved-replies', reply, preview: preview(reply.body) });
  }

  @Post(':id/delete')
  async remove(@Req() req: WebRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const reply = await this.replies.get(this.known(id));
    await this.replies.remove(reply.id);
    await this.pages.redirect(req, res, '/admin/saved-replies', `Saved reply “${reply.title}” deleted`);
  }

  /** A path that is not a uuid names no saved reply: the 404 page, not a database error. */
  private known(id: string): string {
    if (!isUuid(id)) throw new NotFound('No saved reply has this address');
    return id;
  }

  private async showList(req: WebRequest, res: Response, status = 200, values: Partial<SavedReplyForm> = {}, errors: FieldError[] = []): Promise<void> {
    const replies = (await this.replies.list()).map((r) => ({ ...r, preview: preview(r.body) }));
    await this.pages.render(req, res, 'admin/saved-replies.njk', {
      section: 'saved-replies', replies, values, errors,
    }, status);
  }

  private async showEdit(
    req: WebRequest, res: Response, id: string, title: string, values: SavedReplyForm, status = 200, errors: FieldError[] = [],
  ): Promise<void> {
    await this.pages.render(req, res, 'admin/saved-replies-edit.njk', {
      section: 'saved-replies', id, title, values, errors,
    }, status);
  }
}
