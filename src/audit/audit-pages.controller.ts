import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AdminWeb } from '../auth/auth.decorators.js';
import { FieldError, InvalidInput } from '../common/errors.js';
import { StaffPages } from '../web/staff-pages.js';
import type { WebRequest } from '../web/web-request.js';
import { AuditLogFilterForm, AuditLogPageEntry, AuditLogService } from './audit-log.service.js';

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Europe/London' });
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Each action in words, in the order the "Action" filter offers them. */
const ACTIONS: Record<string, string> = {
  'auth.signed-in': 'Signed in',
  'auth.sign-in-refused': 'Sign-in refused',
  'auth.2fa-code-refused': 'Security code refused',
  'auth.recovery-code-used': 'Used a recovery code',
  'inquiry.updated': 'Changed an inquiry',
  'inquiry.reopened': 'Reopened an inquiry (the enquirer answered)',
  'note.added': 'Added an internal note',
  'reply.sent': 'Sent a reply',
  'campaign.replied': 'Replied to a campaign',
  'email.retried': 'Retried a failed email',
  'inbound.attached': 'Attached an email from the holding pen',
  'inbound.reprocessed': 'Sent an inbound email through matching again',
  'staff.created': 'Added a staff account',
  'staff.invited': 'Invited a staff member',
  'staff.updated': 'Changed a staff account',
  'staff.password-set': 'Set a password from an invitation',
  'staff.password-changed': 'Changed their password',
  'staff.2fa-enabled': 'Turned on two-factor sign-in',
  'staff.2fa-disabled': 'Turned off two-factor sign-in',
  'staff.2fa-recovery-codes-replaced': 'Made new recovery codes',
  'staff.2fa-reset': 'Reset the two-factor sign-in of an account',
  'topic.created': 'Added a topic',
  'topic.updated': 'Changed a topic',
  'data-subject.exported': 'Downloaded everything held about a person',
  'data-subject.erased': 'Erased everything about a person',
  'inquiry.anonymised': 'Anonymised an inquiry',
};

/** Prefix filters (SPEC §5: a prefix ending in "."), offered before the single actions. */
const GROUPS: Record<string, string> = {
  'auth.': 'Any sign-in',
  'inquiry.': 'Any change to an inquiry',
  'staff.': 'Anything about staff accounts',
  'topic.': 'Any change to a topic',
  'data-subject.': 'Subject access and erasure',
};

const FIELDS: Record<string, string> = {
  status: 'Status', priority: 'Priority', assigneeId: 'Assigned to', topic: 'Topic', tags: 'Tags', role: 'Role', active: 'Active',
  firstResponseAt: 'First response', note: 'Note', emailId: 'Email', reason: 'Reason', inquiries: 'Inquiries',
  inboundEmails: 'Inbound emails', subjectHash: 'Person (keyed hash)', email: 'Email address', name: 'Name', label: 'Label',
  mailbox: 'Mailbox', responseTargetDays: 'Response target (working days)', description: 'Description', key: 'Key',
  twoFactor: 'Two-factor sign-in', secondFactor: 'Second factor', recoveryCodesLeft: 'Recovery codes left', where: 'Where',
};

/** Filter problems in the words of the page. */
const MESSAGES: Record<string, string> = {
  action: 'Choose an action from the list',
  actorId: 'Choose a person from the list',
  from: 'Enter the From date as a real date, like 2026-11-24',
  to: 'Enter the To date as a real date, like 2026-11-30',
  cursor: 'The link to the next page is not valid. Apply the filters again to start from the first page.',
};

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The audit log page (admins), filterable: who did what, when, to which inquiry, and what changed. */
@AdminWeb()
@Controller('admin/audit')
export class AuditPagesController {
  constructor(private readonly log: AuditLogService, private readonly pages: StaffPages) {}

  @Get()
  async show(@Req() req: WebRequest, @Res() res: Response): Promise<void> {
    const q = req.query as Record<string, unknown>;
    const form: AuditLogFilterForm = {
      action: text(q.action), actorId: text(q.actorId), inquiry: text(q.inquiry), from: text(q.from), to: text(q.to), cursor: text(q.cursor),
    };
    const people = await this.log.people();
    try {
      const query = await this.log.fromForm(form);
      const page = await this.log.listForPage(query);
      const names = new Map(people.map((p) => [p.id, p.name]));
      await this.render(req, res, 200, form, people, [], {
        entries: page.items.map((e) => describe(e, names)),
        nextHref: page.nextCursor ? nextHref(form, page.nextCursor) : null,
      });
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      const errors = err.errors.map((e) => ({ field: e.field, message: MESSAGES[e.field] ?? sentence(e.message) }));
      await this.render(req, res, 400, form, people, errors, { entries: [], nextHref: null });
    }
  }

  private async render(
    req: WebRequest, res: Response, status: number, form: AuditLogFilterForm, people: { id: string; name: string; email: string }[],
    errors: FieldError[], results: { entries: ReturnType<typeof describe>[]; nextHref: string | null },
  ): Promise<void> {
    const known = new Set([...Object.keys(GROUPS), ...Object.keys(ACTIONS)]);
    const actionOptions = [
      { value: '', label: 'Any action' },
      ...Object.entries(GROUPS).map(([value, label]) => ({ value, label })),
      ...Object.entries(ACTIONS).map(([value, label]) => ({ value, label })),
      // An action this page has no words for yet, typed into the address: still offered, as its code.
      ...(form.action && !known.has(form.action) ? [{ value: form.action, label: form.action }] : []),
    ];
    const personOptions = [{ value: '', label: 'Anyone' }, ...people.map((p) => ({ value: p.id, label: `${p.name} (${p.email})` }))];
    const filtered = Boolean(form.action || form.actorId || form.inquiry || form.from || form.to);
    await this.pages.render(req, res, 'admin/audit.njk', {
      section: 'audit', values: Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v ?? ''])), actionOptions, personOptions, filtered, firstPage: !form.cursor, ...results,
      errors,
    }, status);
  }
}

/** One entry as a table row: who in words ("System" for none), what in words, the changes as "field: from → to". */
function describe(e: AuditLogPageEntry, names: Map<string, string>) {
  const value = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return 'none';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (Array.isArray(v)) return v.length ? v.map(value).join(', ') : 'none';
    if (typeof v === 'string' && names.has(v)) return names.get(v)!;
    if (typeof v === 'string' && ISO_INSTANT.test(v)) return when.format(new Date(v));
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };
  const details = Object.entries(e.changes ?? {}).map(([field, change]) => {
    const label = field === 'id' && e.action.startsWith('staff.') ? 'Account' : FIELDS[field] ?? field;
    const { from, to } = (change ?? {}) as { from?: unknown; to?: unknown };
    // A value recorded as both from and to names what the entry is about; from none is a value set for the first time.
    const same = JSON.stringify(from) === JSON.stringify(to);
    return { label, from: same || from === null || from === undefined ? null : value(from), to: value(to) };
  });
  return {
    id: e.id,
    at: e.at,
    when: when.format(new Date(e.at)),
    who: e.actor ? e.actorName ?? e.actor.email ?? 'A removed account' : null,
    whoEmail: e.actor?.email ?? null,
    what: ACTIONS[e.action] ?? null,
    action: e.action,
    reference: e.reference,
    inquiryId: e.inquiryId,
    details,
  };
}

/** The same filters with the cursor of the next page; blanks left out so the address stays short. */
function nextHref(form: AuditLogFilterForm, cursor: string): string {
  const params = new URLSearchParams();
  for (const key of ['action', 'actorId', 'inquiry', 'from', 'to'] as const) {
    const v = form[key]?.trim();
    if (v) params.set(key, v);
  }
  params.set('cursor', cursor);
  return `/admin/audit?${params.toString()}`;
}

/** "inquiry must be a reference like …" → "Inquiry must be a reference like …". */
const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);
