import { Controller, Get, Param, Post, Put, Req, Res } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { Response } from 'express';
import { StaffWeb } from '../../auth/auth.decorators.js';
import { Conflict, FieldError, InvalidInput, InvalidTransition, Unprocessable } from '../../common/errors.js';
import { codePoints, fieldErrors } from '../../common/validation.js';
import { ENQUIRER_LABELS } from '../../inquiries/contact-form.service.js';
import { INQUIRY_STATUSES, PRIORITIES, type InquiryStatus } from '../../inquiries/inquiry.entity.js';
import { StaffPages } from '../../web/staff-pages.js';
import type { WebRequest } from '../../web/web-request.js';
import type { CannedReplyView } from '../canned-replies/canned-replies.dto.js';
import { CannedRepliesService } from '../canned-replies/canned-replies.service.js';
import { ReplyBodyDto, UpdateInquiryDto } from './inbox.dto.js';
import { canReply, InboxConversationService, type NewerItem, StaleConversation } from './inbox-conversation.service.js';
import { DraftsService } from './drafts.service.js';
import { InboxListService } from './inbox-list.service.js';
import { ukDateTime, ukDay } from './inbox-page.js';
import { HistoryEntry, InboxService, StaffChoice, TopicChoice, TRANSITIONS } from './inbox.service.js';
import type { InquiryDetail } from './inbox-views.js';
import type { DraftView } from './inbox.dto.js';
import { SnoozeService, type SnoozeWhen } from './snooze.service.js';

/** The triage form's fields as text, the way the form posts them and draws them again. */
interface TriageValues {
  status: string;
  priority: string;
  assigneeId: string;
  topic: string;
  tags: string;
}

/** How the page is drawn besides the inquiry itself: a form posted with a problem, a stale save, a kept text. */
interface PageState {
  status?: number;
  /** The triage form as posted, drawn again with its problems (400, 422); nothing of it was saved. No values: "Assign to me". */
  triage?: { values?: TriageValues; version: string; drawnAt: string; errors: FieldError[]; forbiddenMove?: string };
  /** A stale save (409): the changes made since the page it was saved from was drawn. */
  conflict?: { since: Date | null };
  /** What was typed, kept; `held`: not sent because these items arrived after the latest one the writer had seen (409). */
  reply?: { value: string; error?: string; held?: NewerItem[] };
  note?: { value: string; error?: string; held?: NewerItem[] };
  /** The snooze form as posted, with its problem. */
  snooze?: { error: string; when: string; at: string };
}

const pathOf = (idOrReference: string) => `/admin/inquiries/${encodeURIComponent(idOrReference)}`;
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
/** Browsers send a textarea's line breaks as CRLF; the conversation and its emails keep plain LF. */
const multiLine = (v: unknown): string => text(v).replace(/\r\n?/g, '\n');

/**
 * An inquiry's page (SPEC §8): who asked, the conversation labelled in words with each email's delivery, the
 * history, triage with the version it was drawn from (a stale save shows what changed, 409), a reply and an
 * internal note. Every action is a plain form: 303 back with a notice, or the page again with the problem.
 */
@StaffWeb()
@Controller('admin/inquiries')
export class InquiryPagesController {
  constructor(
    private readonly inbox: InboxService,
    private readonly conversation: InboxConversationService,
    private readonly savedReplies: CannedRepliesService,
    private readonly list: InboxListService,
    private readonly pages: StaffPages,
    private readonly drafts: DraftsService,
    private readonly snoozes: SnoozeService,
  ) {}

  @Get(':id')
  async show(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    await this.draw(req, res, id);
  }

  @Post(':id/triage')
  async triage(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const form = readTriageForm(req.body);
    if (form.errors.length) return this.draw(req, res, id, { status: 400, triage: form });
    await this.save(req, res, id, form, form.dto!);
  }

  @Post(':id/assign-to-me')
  async assignToMe(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const version = versionOf(body.version);
    const form = { ...formOf(body), values: undefined };
    if (version === undefined) return this.draw(req, res, id, { status: 400, triage: { ...form, errors: [OUT_OF_DATE] } });
    await this.save(req, res, id, form, plainToInstance(UpdateInquiryDto, { assigneeId: req.staff.id, version }), 'Assigned to you');
  }

  @Post(':id/replies')
  async reply(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = multiLine(req.body?.body);
    const error = bodyProblem(body, 'reply');
    if (error) return this.draw(req, res, id, { status: 400, reply: { value: body, error } });
    try {
      const { recipient } = await this.conversation.sendReply(id, body, req.staff, seenUpToOf(req.body?.seenUpTo));
      this.list.invalidateCounts(); // the inquiry is now waiting
      await this.pages.redirect(req, res, pathOf(id), `Reply sent to ${recipient}`);
    } catch (err) {
      // Something arrived since the page was drawn: nothing is sent, the text is kept, "Send anyway" or "Edit".
      if (err instanceof StaleConversation) return this.draw(req, res, id, { status: 409, reply: { value: body, held: err.newer } });
      if (err instanceof InvalidInput) return this.draw(req, res, id, { status: 400, reply: { value: body, error: OUT_OF_DATE.message } });
      // Resolved or marked as spam since the page was drawn: nothing is sent, the text is kept.
      if (err instanceof Unprocessable) return this.draw(req, res, id, { status: 422, reply: { value: body, error: NOT_SENT } });
      throw err;
    }
  }

  /** "Insert saved reply" without JavaScript: the page again with the saved reply added to what was typed; nothing is sent. */
  @Post(':id/replies/insert-saved')
  async insertSaved(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const typed = multiLine(req.body?.body);
    const chosen = text(req.body?.savedReply);
    const saved = chosen ? (await this.savedReplies.list()).find((r) => r.id === chosen) : undefined;
    if (!saved) return this.draw(req, res, id, { status: 400, reply: { value: typed, error: 'Select a saved reply to insert' } });
    await this.draw(req, res, id, { reply: { value: withSavedReply(typed, saved.body) } });
  }

  @Post(':id/notes')
  async note(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = multiLine(req.body?.body);
    const error = bodyProblem(body, 'note');
    if (error) return this.draw(req, res, id, { status: 400, note: { value: body, error } });
    try {
      await this.conversation.addNote(id, body, req.staff, seenUpToOf(req.body?.seenUpTo));
    } catch (err) {
      if (err instanceof StaleConversation) return this.draw(req, res, id, { status: 409, note: { value: body, held: err.newer } });
      if (err instanceof InvalidInput) return this.draw(req, res, id, { status: 400, note: { value: body, error: OUT_OF_DATE.message } });
      throw err;
    }
    await this.pages.redirect(req, res, pathOf(id), 'Note added');
  }

  /** "Snooze until…": tomorrow 09:00, next Monday 09:00, or a date and time (UK time); 303 back with when it wakes. */
  @Post(':id/snooze')
  async snooze(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const choice = text(req.body?.when);
    const at = text(req.body?.at).trim();
    const when: SnoozeWhen | undefined = choice === 'tomorrow' || choice === 'monday' ? { preset: choice }
      : choice === 'at' && at ? { at } : undefined;
    if (!when) return this.draw(req, res, id, { status: 400, snooze: { error: 'Enter the date and time to snooze until', when: choice, at } });
    try {
      const state = await this.snoozes.snooze(id, when, req.staff);
      this.list.invalidateCounts();
      await this.pages.redirect(req, res, pathOf(id), `Snoozed until ${ukDateTime(state.snoozedUntil!)} (UK time)`);
    } catch (err) {
      if (err instanceof InvalidInput) {
        return this.draw(req, res, id, { status: 400, snooze: { error: 'Enter a date and time in the future, like 2 December, 09:00', when: choice, at } });
      }
      if (err instanceof InvalidTransition) return this.draw(req, res, id, { status: 422, snooze: { error: err.message, when: choice, at } });
      throw err;
    }
  }

  /** "Wake it now": back in the working views at once. */
  @Post(':id/wake')
  async wake(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    await this.snoozes.wake(id, req.staff);
    this.list.invalidateCounts();
    await this.pages.redirect(req, res, pathOf(id), 'Woken: the inquiry is back in the working views');
  }

  /** "Save draft" without JavaScript (the reply form's second button): my draft saved, the page drawn again with it. */
  @Post(':id/draft')
  async saveDraft(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = multiLine(req.body?.body);
    try {
      const saved = await this.drafts.save(id, body, req.staff);
      await this.pages.redirect(req, res, `${pathOf(id)}#reply-body`, saved ? 'Draft saved' : 'Draft cleared');
    } catch (err) {
      if (err instanceof InvalidInput) return this.draw(req, res, id, { status: 400, reply: { value: body, error: draftProblem(body) } });
      throw err;
    }
  }

  /** Autosave while typing (public/inquiry.js): JSON `{ body }` with the session's X-CSRF-Token; answers JSON, 204 when cleared. */
  @Put(':id/draft')
  async autosaveDraft(@Param('id') id: string, @Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const body = typeof req.body?.body === 'string' ? multiLine(req.body.body) : req.body?.body;
    try {
      const saved = await this.drafts.save(id, body, req.staff);
      res.setHeader('Cache-Control', 'no-store');
      if (!saved) {
        res.status(204).end();
        return;
      }
      res.status(200).json(saved);
    } catch (err) {
      if (err instanceof InvalidInput) {
        res.status(400).json({ statusCode: 400, message: err.message, errors: err.errors });
        return;
      }
      throw err;
    }
  }

  private async save(req: WebRequest, res: Response, id: string, form: TriageForm, dto: UpdateInquiryDto, notice = 'Changes saved'): Promise<void> {
    try {
      const saved = await this.inbox.update(id, dto, req.staff);
      this.list.invalidateCounts(); // so the inbox's view counts follow a status change
      await this.pages.redirect(req, res, pathOf(id), saved.version === dto.version ? 'Nothing was changed' : notice);
    } catch (err) {
      if (err instanceof Conflict) return this.draw(req, res, id, { status: 409, conflict: { since: form.drawnAtDate } });
      if (err instanceof InvalidTransition) {
        return this.draw(req, res, id, { status: 422, triage: { ...form, errors: [], forbiddenMove: dto.status } });
      }
      if (err instanceof InvalidInput) return this.draw(req, res, id, { status: 400, triage: { ...form, errors: err.errors.map(pageError) } });
      throw err;
    }
  }

  private async draw(req: WebRequest, res: Response, id: string, state: PageState = {}): Promise<void> {
    const drawnAt = new Date();
    const [detail, choices, saved, history, draft, snoozedUntil] = await Promise.all([
      this.inbox.detail(id), this.inbox.triageChoices(), this.savedReplies.list(), this.inbox.history(id), this.drafts.find(id, req.staff),
      this.snoozes.until(id),
    ]);
    const page = inquiryPage({ detail, choices, saved, history, draft, meId: req.staff.id, drawnAt, state });
    const snooze = {
      action: `${pathOf(detail.reference)}/snooze`,
      wakeAction: `${pathOf(detail.reference)}/wake`,
      offered: ['new', 'open', 'waiting'].includes(detail.status),
      until: snoozedUntil ? { iso: snoozedUntil, text: ukDateTime(snoozedUntil) } : null,
      when: state.snooze?.when || 'tomorrow',
      at: state.snooze?.at ?? '',
      error: state.snooze?.error,
      options: [
        { value: 'tomorrow', label: 'Tomorrow, 09:00' },
        { value: 'monday', label: 'Next Monday, 09:00' },
        { value: 'at', label: 'The date and time below' },
      ],
    };
    const errors = state.snooze?.error
      ? [...(page.errors ?? []), { field: snooze.offered ? 'snooze-at' : '', message: state.snooze.error }] : page.errors;
    await this.pages.render(req, res, 'admin/inquiry.njk', { section: 'inbox', ...page, errors, snooze }, state.status ?? 200);
  }
}

// ---- Reading the forms -------------------------------------------------------------------------------------

interface TriageForm {
  values?: TriageValues;
  version: string;
  drawnAt: string;
  drawnAtDate: Date | null;
  errors: FieldError[];
  dto?: UpdateInquiryDto;
}

const OUT_OF_DATE: FieldError = { field: '', message: 'This form is incomplete or out of date. Reload the page and try again.' };
const NOT_SENT = 'Your reply was not sent: this inquiry can no longer be replied to. Your text is kept below.';

/** What the page says for a field the service or the DTO refused (the API's words are for programmers). */
const FIELD_WORDS: Record<string, string> = {
  status: 'Select a status from the list',
  priority: 'Select a priority from the list',
  assigneeId: 'Select someone from the list who is still on the team, or Unassigned',
  topic: 'Select a topic from the list that is still in use',
  tags: 'Enter up to 20 tags, separated by commas, each 1 to 50 characters on one line',
};
const pageError = (e: FieldError): FieldError => (FIELD_WORDS[e.field] ? { field: e.field, message: FIELD_WORDS[e.field] } : OUT_OF_DATE);

/** The form's seenUpTo (the latest item drawn); none from an older page, which then sends without the check. */
const seenUpToOf = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Why a draft could not be saved, in the page's words. */
function draftProblem(body: string): string {
  if (codePoints(body) > 10_000) return 'Shorten your reply to save it as a draft: it can be up to 10,000 characters';
  return 'Remove the unusual control characters from your reply to save it as a draft';
}

const versionOf = (v: unknown): number | undefined => (typeof v === 'string' && /^[1-9]\d{0,8}$/.test(v) ? Number(v) : undefined);

function drawnAtOf(v: unknown): Date | null {
  const at = new Date(text(v));
  return /^\d{4}-\d{2}-\d{2}T/.test(text(v)) && !Number.isNaN(at.getTime()) ? at : null;
}

/** The version and drawing time a form carries (the triage form and "Assign to me" alike). */
function formOf(body: Record<string, unknown>): TriageForm {
  return { version: text(body.version), drawnAt: text(body.drawnAt), drawnAtDate: drawnAtOf(body.drawnAt), errors: [] };
}

/** The triage form as an UpdateInquiryDto (the API's rules), or its problems in the page's words. */
function readTriageForm(raw: unknown): TriageForm {
  const body = (raw ?? {}) as Record<string, unknown>;
  const values: TriageValues = {
    status: text(body.status), priority: text(body.priority), assigneeId: text(body.assigneeId), topic: text(body.topic), tags: text(body.tags),
  };
  const form: TriageForm = { ...formOf(body), values };
  const version = versionOf(body.version);
  if (version === undefined) return { ...form, errors: [OUT_OF_DATE] };
  const dto = plainToInstance(UpdateInquiryDto, {
    status: values.status, priority: values.priority, assigneeId: values.assigneeId || null, topic: values.topic,
    tags: values.tags.split(',').map((t) => t.trim()).filter(Boolean), version,
  });
  const errors = fieldErrors(validateSync(dto)).map(pageError);
  return { ...form, errors, dto: errors.length ? undefined : dto };
}

/** A reply or note that the API's rules refuse, in the page's words; undefined when it is fine. */
function bodyProblem(body: string, kind: 'reply' | 'note'): string | undefined {
  if (!validateSync(plainToInstance(ReplyBodyDto, { body })).length) return undefined;
  const what = kind === 'reply' ? 'your reply' : 'your note';
  if (!body.trim()) return kind === 'reply' ? 'Enter your reply' : 'Enter the note';
  if (codePoints(body) > 10_000) return `Shorten ${what}: it can be up to 10,000 characters`;
  return `Remove the unusual control characters from ${what}`;
}

/** What was typed, then a blank line, then the saved reply. */
function withSavedReply(typed: string, saved: string): string {
  const before = typed.replace(/\s+$/, '');
  return before ? `${before}\n\n${saved}` : saved;
}

// ---- The page in words -------------------------------------------------------------------------------------

export const STATUS_LABELS: Record<InquiryStatus, string> = { new: 'New', open: 'Open', waiting: 'Waiting', resolved: 'Resolved', spam: 'Spam' };
export const PRIORITY_LABELS: Record<string, string> = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };
const CHANNEL_LABELS: Record<string, string> = { form: 'Contact form', api: 'API' };
const FLAG_WORDS: Record<string, string> = { nhs_number: 'an NHS number', phone_number: 'a phone number', health: 'health details' };
const EMAIL_KIND_WORDS: Record<string, string> = {
  acknowledgement: 'Acknowledgement', routing: 'Routing to the team', reply: 'Reply', notification: 'Notice to the assignee',
};

const statusWord = (s: unknown) => STATUS_LABELS[s as InquiryStatus] ?? String(s);
const listInWords = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`);
const andList = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** Why the workflow (§5) refused a status change, in words: the rule the service applied, said to a person. */
function forbiddenMoveWhy(from: InquiryStatus, to: string): string {
  const allowed = TRANSITIONS[from].map((s) => STATUS_LABELS[s]);
  return `This inquiry is ${STATUS_LABELS[from]}, and a ${STATUS_LABELS[from]} inquiry cannot move to ${statusWord(to)}. `
    + `From ${STATUS_LABELS[from]} it can move to ${listInWords(allowed)}.`;
}

/** A moment as `<time datetime>` shows it, in the inbox's words: "1 Dec 2026, 14:05" (UK time), "8 Dec 2026". */
const timeOf = (iso: string) => ({ iso, text: ukDateTime(iso) });
const dateOf = (day: string) => ({ iso: day, text: ukDay(day) });

function deliveryOf(email: InquiryDetail['emails'][number] | undefined): { text: string; failed: boolean } {
  if (!email) return { text: 'Waiting to send', failed: false };
  if (email.status === 'sent') return { text: 'Sent', failed: false };
  if (email.status === 'failed') return { text: `Failed: ${email.lastError || 'no reason was given'}`, failed: true };
  return { text: 'Waiting to send', failed: false };
}

/** Why a reply cannot be sent in this status, and what to do about it; undefined when it can. */
function cannotReplyWhy(status: InquiryStatus): string | undefined {
  if (canReply(status)) return undefined;
  return status === 'spam'
    ? 'This inquiry is marked as spam, so a reply cannot be sent. If it is a real question, change its status to New first.'
    : 'This inquiry is resolved, so a reply cannot be sent. To reply, change its status to Open first.';
}

interface Names {
  staff: Map<string, string>;
  topics: Map<string, string>;
}

/** One audit entry in words: "Sam Okafor changed status from New to Open". */
export function historyInWords(entry: HistoryEntry, names: Names): string {
  const who = entry.actorName ?? entry.actor?.email ?? 'The system';
  const c = entry.changes ?? {};
  const value = (field: string, v: unknown): string => {
    if (v === null || v === undefined || (Array.isArray(v) && !v.length)) return field === 'assigneeId' ? 'Unassigned' : 'none';
    if (field === 'status') return statusWord(v);
    if (field === 'priority') return PRIORITY_LABELS[String(v)] ?? String(v);
    if (field === 'assigneeId') return names.staff.get(String(v)) ?? 'a former staff member';
    if (field === 'topic') return names.topics.get(String(v)) ?? String(v);
    if (field === 'tags' && Array.isArray(v)) return v.join(', ');
    return String(v);
  };
  const FIELD_NAMES: Record<string, string> = { status: 'status', priority: 'priority', assigneeId: 'assignee', topic: 'topic', tags: 'tags' };
  const moves = (fields: string[]) => fields.filter((f) => c[f]).map((f) => `${FIELD_NAMES[f]} from ${value(f, c[f].from)} to ${value(f, c[f].to)}`);
  switch (entry.action) {
    case 'inquiry.updated': {
      const parts = moves(['status', 'priority', 'assigneeId', 'topic', 'tags']);
      return `${who} changed ${parts.length ? andList(parts) : 'nothing'}`;
    }
    case 'note.added': return `${who} added an internal note`;
    case 'reply.sent': {
      const status = moves(['status']);
      return `${who} sent a reply${status.length ? ` (${status[0]})` : ''}`;
    }
    case 'inquiry.reopened': return `${entry.actorName ? `${who} reopened it` : 'The enquirer answered, so it reopened'} (${moves(['status'])[0] ?? 'status to Open'})`;
    case 'inbound.attached': return `${who} attached an email from the holding pen`;
    case 'email.retried': return `${who} retried a failed email`;
    case 'inquiry.anonymised': return `${who === 'The system' ? 'Retention' : who} removed the personal data`;
    case 'data-subject.exported': return `${who} exported the enquirer's data (subject access)`;
    case 'data-subject.erased': return `${who} erased the enquirer's data`;
    default: {
      const parts = moves(Object.keys(c).filter((f) => FIELD_NAMES[f]));
      return `${who}: ${entry.action}${parts.length ? ` (${andList(parts)})` : ''}`;
    }
  }
}

interface PageInput {
  detail: InquiryDetail;
  choices: { staff: StaffChoice[]; topics: TopicChoice[] };
  saved: CannedReplyView[];
  history: HistoryEntry[];
  /** My draft reply on this inquiry, if any: the reply field starts with it unless the page is drawn with what was posted. */
  draft?: DraftView;
  meId: string;
  drawnAt: Date;
  state: PageState;
}

/** The view model of admin/inquiry.njk. */
function inquiryPage({ detail: d, choices, saved, history, draft, meId, drawnAt, state }: PageInput) {
  const names: Names = {
    staff: new Map(choices.staff.map((s) => [s.id, s.name])),
    topics: new Map(choices.topics.map((t) => [t.key, t.label])),
  };
  const path = pathOf(d.reference);
  const status = d.status as InquiryStatus;
  const emailsById = new Map(d.emails.map((e) => [e.id, e]));

  // The original question first, then messages and notes by time.
  const items = [
    ...d.conversation.map((m, i) => ({ at: m.createdAt, order: m.id === 'original' ? -1 : i, m, n: undefined })),
    ...d.notes.map((n, i) => ({ at: n.createdAt, order: d.conversation.length + i, m: undefined, n })),
  ].sort((a, b) => (a.order === -1 ? -1 : b.order === -1 ? 1 : a.at.localeCompare(b.at) || a.order - b.order));
  // What the reply and note forms say they had seen: a newer item when they are sent holds them (409).
  const latest = items.at(-1);
  const seenUpTo = latest?.n ? latest.n.id : latest?.m?.id ?? 'original';
  const conversation = items.map(({ m, n }) => {
    if (n) {
      return { kind: 'note', label: `Internal note by ${n.author?.name || 'a former staff member'}`, time: timeOf(n.createdAt), body: n.body };
    }
    if (m!.direction === 'inbound') return { kind: 'inbound', label: 'From the enquirer', time: timeOf(m!.createdAt), body: m!.body };
    return {
      kind: 'reply', label: `Reply by ${m!.staff?.name || 'a former staff member'}`, time: timeOf(m!.createdAt), body: m!.body,
      delivery: deliveryOf(m!.emailId ? emailsById.get(m!.emailId) : undefined),
    };
  });

  const historyItems = history.map((h) => ({ time: timeOf(h.at), text: historyInWords(h, names) }));
  const conflict = state.conflict
    ? { changes: history.filter((h) => state.conflict!.since && new Date(h.at) >= state.conflict!.since).map((h) => ({ time: timeOf(h.at), text: historyInWords(h, names) })) }
    : undefined;

  // Triage: the form as posted when it had a problem, else the inquiry as it is now (a stale save included).
  const current: TriageValues = {
    status: d.status, priority: d.priority, assigneeId: d.assignee?.id ?? '', topic: d.topic, tags: d.tags.join(', '),
  };
  const posted = state.triage;
  const statuses = INQUIRY_STATUSES.filter((s) => s === status || TRANSITIONS[status].includes(s));
  const values = posted?.values ? { ...posted.values } : current;
  if (!(statuses as string[]).includes(values.status)) values.status = current.status;
  const triageErrors = [
    ...(posted?.errors ?? []),
    ...(posted?.forbiddenMove ? [{ field: 'status', message: forbiddenMoveWhy(status, posted.forbiddenMove) }] : []),
  ];

  const reply = state.reply ?? { value: draft?.body ?? '' };
  const note = state.note ?? { value: '' };
  const errors: FieldError[] = [
    ...(reply.held ? [{ field: 'reply-body', message: 'Your reply was not sent: something new arrived since you opened this page' }] : []),
    ...(note.held ? [{ field: 'note-body', message: 'Your note was not added: something new arrived since you opened this page' }] : []),
    ...(conflict ? [{ field: 'status', message: 'Someone else changed this inquiry' }] : []),
    ...triageErrors,
    ...(reply.error ? [{ field: 'reply-body', message: reply.error }] : []),
    ...(note.error ? [{ field: 'note-body', message: note.error }] : []),
  ];
  const flags = (d.sensitiveFlags ?? []).map((f) => FLAG_WORDS[f] ?? f.replace(/_/g, ' '));

  return {
    title: `${d.reference}: ${d.subject}`,
    errors,
    conflict,
    inquiry: { id: d.id, reference: d.reference, subject: d.subject, name: d.name, email: d.email, path },
    sensitiveWarning: flags.length
      ? `This inquiry may contain ${andList(flags)}. Handle it with care and do not copy it into other systems.`
      : undefined,
    spamWarning: d.status === 'spam' || d.spamReason ? `Marked as spam${d.spamReason ? `: ${d.spamReason}` : ''}.` : undefined,
    who: {
      name: d.name,
      email: d.email,
      organisation: d.organisation,
      type: ENQUIRER_LABELS[d.enquirerType as keyof typeof ENQUIRER_LABELS] ?? d.enquirerType,
      source: d.sourceUrl ? { text: d.sourceUrl, href: /^https?:\/\//i.test(d.sourceUrl) ? d.sourceUrl : undefined } : undefined,
      channel: CHANNEL_LABELS[d.channel] ?? d.channel,
    },
    dates: {
      received: timeOf(d.createdAt),
      replyBy: dateOf(d.expectedResponseBy),
      overdue: d.overdue,
      firstResponse: d.firstResponseAt ? timeOf(d.firstResponseAt) : undefined,
    },
    state: {
      status: statusWord(d.status),
      priority: PRIORITY_LABELS[d.priority] ?? d.priority,
      urgent: d.priority === 'urgent',
      assignee: d.assignee?.name,
      tags: d.tags,
      topic: names.topics.get(d.topic) ?? d.topic,
    },
    conversation,
    emails: d.emails.map((e) => ({
      kind: EMAIL_KIND_WORDS[e.kind] ?? e.kind, to: e.to, subject: e.subject, queued: timeOf(e.createdAt),
      delivery: deliveryOf(e), sentAt: e.sentAt ? timeOf(e.sentAt) : undefined,
    })),
    history: historyItems,
    triage: {
      action: `${path}/triage`,
      // A problem with the form keeps the version it was drawn from, so saving again still notices a change.
      version: posted && posted.version ? posted.version : String(d.version),
      drawnAt: posted && posted.drawnAt ? posted.drawnAt : drawnAt.toISOString(),
      values,
      errorFor: Object.fromEntries(triageErrors.filter((e) => e.field).map((e) => [e.field, e.message])),
      statusOptions: statuses.map((s) => ({ value: s, label: s === d.status ? `${STATUS_LABELS[s]} (now)` : STATUS_LABELS[s] })),
      priorityOptions: PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABELS[p] })),
      staffOptions: [
        { value: '', label: 'Unassigned' },
        ...choices.staff.filter((s) => s.active || s.id === d.assignee?.id)
          .map((s) => ({ value: s.id, label: s.active ? s.name : `${s.name} (no longer active)` })),
      ],
      topicOptions: choices.topics.filter((t) => t.active || t.key === d.topic)
        .map((t) => ({ value: t.key, label: t.active ? t.label : `${t.label} (no longer in use)` })),
      assignToMe: d.assignee?.id === meId ? undefined : { action: `${path}/assign-to-me`, version: String(d.version) },
      allowedMoves: TRANSITIONS[status].length
        ? `From ${STATUS_LABELS[status]} it can move to ${listInWords(TRANSITIONS[status].map((s) => STATUS_LABELS[s]))}.`
        : undefined,
    },
    writing: {
      replyAction: `${path}/replies`,
      insertAction: `${path}/replies/insert-saved`,
      noteAction: `${path}/notes`,
      draftAction: `${path}/draft`,
      seenUpTo,
      cannotReply: cannotReplyWhy(status),
      reply: { value: reply.value, error: reply.error, held: reply.held && heldInWords(reply.held, drawnAt) },
      note: { value: note.value, error: note.error, held: note.held && heldInWords(note.held, drawnAt) },
      draftSaved: !state.reply && draft ? `Draft saved ${ukDateTime(draft.updatedAt)}` : undefined,
      savedReplies: saved.map((r) => ({ value: r.id, label: r.title, body: r.body })),
    },
  };
}

/** What arrived since the page a held reply or note came from, in words: "a reply by Sam Okafor", 14:05, "…". */
function heldInWords(newer: NewerItem[], now: Date) {
  const today = ukDateTime(now).split(', ')[0];
  return newer.map((i) => {
    const full = ukDateTime(i.createdAt);
    const who = i.kind === 'inbound'
      ? `a message from ${i.author || 'the enquirer'}`
      : `${i.kind === 'reply' ? 'a reply' : 'an internal note'} by ${i.author || 'a former staff member'}`;
    return { who, time: { iso: i.createdAt, text: full.startsWith(`${today},`) ? full.slice(today.length + 2) : full }, excerpt: i.excerpt };
  });
}
