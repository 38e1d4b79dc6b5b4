import type { FieldError } from '../../common/errors.js';
import { INQUIRY_STATUSES, PRIORITIES } from '../../inquiries/inquiry.entity.js';
import { INBOX_VIEWS, type InboxPageQueryDto, type InboxSort, type InboxView } from './inbox.dto.js';
import { isFiltered, type InboxPageData } from './inbox-list.service.js';
import type { InboxItem } from './inbox-views.js';
import type { SnoozeWhen } from './snooze.service.js';

/** The inbox page's view model (SPEC §8): what admin/inbox.njk shows, in words, with every link already built. */

export const VIEW_LABELS: Record<InboxView, string> = {
  unassigned: 'Unassigned',
  mine: 'Mine',
  open: 'All open',
  overdue: 'Overdue',
  waiting: 'Waiting',
  snoozed: 'Snoozed',
  resolved: 'Resolved',
  spam: 'Spam',
};

/** The page's words for a bad parameter (the API's messages name parameters; these name the form's fields). */
const PAGE_MESSAGES: Record<string, string> = {
  view: 'Choose one of the inbox views',
  status: 'Choose a status from the list',
  topic: 'Choose a topic from the list',
  assignee: 'Choose who the inquiries are assigned to from the list',
  priority: 'Choose a priority from the list',
  overdue: 'Only overdue must be ticked or left empty',
  q: 'Search must be 1000 characters or fewer, without control characters',
  createdFrom: 'Received from must be a real date',
  createdTo: 'Received to must be a real date',
  sort: 'Choose newest first or oldest first',
  limit: 'The number of inquiries on a page must be a whole number from 1 to 100',
  cursor: 'The link to this page of the list is not right. Go to the first page of the list and try again.',
};

/** Parameters with a control on the page, which the error summary links to. */
const FIELDS = new Set(['status', 'topic', 'assignee', 'priority', 'overdue', 'q', 'createdFrom', 'createdTo', 'sort']);

/** The order parameters appear in the page's links, so the same list is always the same URL. */
const LINK_PARAMS = ['view', 'q', 'status', 'topic', 'assignee', 'priority', 'overdue', 'createdFrom', 'createdTo', 'sort', 'limit'] as const;
type LinkParam = (typeof LINK_PARAMS)[number];
type ListState = Partial<Record<LinkParam, string>>;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ukClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** "1 Dec 2026, 14:05", UK time. */
export function ukDateTime(at: string | Date): string {
  const part = Object.fromEntries(ukClock.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return `${Number(part.day)} ${MONTHS[Number(part.month) - 1]} ${part.year}, ${part.hour}:${part.minute}`;
}

/** "8 Dec 2026" from a calendar date (YYYY-MM-DD). */
export function ukDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

const capitalised = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;

export function inboxHref(state: ListState, extra: Record<string, string> = {}, path = '/admin/inbox'): string {
  const search = new URLSearchParams();
  for (const name of LINK_PARAMS) if (state[name]) search.set(name, state[name]);
  for (const [name, value] of Object.entries(extra)) search.set(name, value);
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The list's parameters as links carry them: the view always, the order only when it is not the default. */
function listState(query: InboxPageQueryDto, view: InboxView, sort: InboxSort): ListState {
  return {
    view, q: query.q, status: query.status, topic: query.topic, assignee: query.assignee, priority: query.priority,
    overdue: query.overdue, createdFrom: query.createdFrom, createdTo: query.createdTo,
    sort: sort === 'newest' ? undefined : sort, limit: query.limit === undefined ? undefined : String(query.limit),
  };
}

function row(item: InboxItem, topicLabels: Map<string, string>, snoozedUntil?: string) {
  const urgent = item.priority === 'urgent';
  return {
    snoozedUntil: snoozedUntil ? { iso: snoozedUntil, text: ukDateTime(snoozedUntil) } : null,
    id: item.id,
    reference: item.reference,
    href: `/admin/inquiries/${encodeURIComponent(item.reference)}`,
    subject: item.subject,
    name: item.name,
    organisation: item.organisation,
    topic: topicLabels.get(item.topic) ?? item.topic,
    status: capitalised(item.status),
    priority: { label: capitalised(item.priority), tag: urgent || item.priority === 'high' ? item.priority : null },
    assignee: item.assignee?.name ?? null,
    received: { iso: item.createdAt, text: ukDateTime(item.createdAt) },
    replyBy: { iso: item.expectedResponseBy, text: ukDay(item.expectedResponseBy) },
    overdue: item.overdue,
    urgent,
  };
}

function pageErrors(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.field) && seen.add(e.field)).map((e) => ({
    field: FIELDS.has(e.field) ? e.field : '',
    message: PAGE_MESSAGES[e.field] ?? e.message,
  }));
}

export function inboxPageModel(data: InboxPageData) {
  const { view, sort } = data;
  // Every field has a value ('' for none): the select macro compares them as text.
  const given: ListState = data.query ? listState(data.query, view ?? 'open', sort) : data.sent;
  const values = Object.fromEntries(LINK_PARAMS.map((n) => [n, given[n] ?? ''])) as Record<LinkParam, string>;
  values.sort = sort;
  const state: ListState = data.query && view ? listState(data.query, view, sort) : {};
  const errors = pageErrors(data.errors);
  const errorFor = Object.fromEntries(errors.filter((e) => e.field).map((e) => [e.field, e.message]));
  const keepSort = sort === 'oldest' ? { sort } : {};
  const label = view ? VIEW_LABELS[view] : 'Inbox';
  const topicLabels = new Map(data.topics.map((t) => [t.key, t.label]));

  // Each form sends what the other shows, so searching keeps the filters and filtering keeps the search.
  const kept: ListState = data.query ? state : data.sent;
  const hidden = (names: LinkParam[]) => names.filter((n) => kept[n]).map((n) => ({ name: n, value: kept[n]! }));
  const filterNames: LinkParam[] = ['status', 'topic', 'assignee', 'priority', 'overdue', 'createdFrom', 'createdTo', 'sort'];

  let list = null;
  if (data.list && data.query && view) {
    const { items, nextCursor, total } = data.list;
    const count = total.more ? `more than ${plural(total.n, 'inquiry', 'inquiries')}` : plural(total.n, 'inquiry', 'inquiries');
    list = {
      // "Select all N matching" sends the list's view and filters (f_*), not the ids on this page.
      selectAllLabel: total.more ? `Select all inquiries matching (${count})` : `Select all ${count} matching`,
      listHidden: LINK_PARAMS.filter((n) => n !== 'limit' && state[n]).map((n) => ({ name: `f_${n}`, value: state[n]! })),
      caption: `${label}${isFiltered(data.query) ? ', filtered' : ''} – ${count}, ${sort} first`,
      rows: items.map((i) => row(i, topicLabels, data.list!.snoozedUntil[i.id])),
      nextHref: nextCursor ? inboxHref(state, { cursor: nextCursor }) : null,
      csvHref: inboxHref({ ...state }, {}, '/admin/inbox/export.csv'),
    };
  }

  return {
    title: view ? `${label} – Inbox` : 'Inbox',
    errors,
    errorFor,
    values,
    views: INBOX_VIEWS.map((key) => ({
      key,
      label: VIEW_LABELS[key],
      count: data.counts[key].toLocaleString('en-GB'),
      href: inboxHref({ view: key, ...keepSort }),
      current: key === view,
    })),
    searchHidden: [{ name: 'view', value: view ?? 'open' }, ...hidden(filterNames)],
    filtersHidden: [{ name: 'view', value: view ?? 'open' }, ...hidden(['q', 'limit'])],
    clearHref: inboxHref({ view: view ?? 'open', ...keepSort }),
    badCursor: data.errors.some((e) => e.field === 'cursor'),
    choices: {
      status: [{ value: '', label: 'Any status' }, ...INQUIRY_STATUSES.map((s) => ({ value: s, label: capitalised(s) }))],
      topic: [{ value: '', label: 'Any topic' }, ...data.topics.map((t) => ({ value: t.key, label: t.active ? t.label : `${t.label} (no longer offered)` }))],
      assignee: [
        { value: '', label: 'Anyone' }, { value: 'me', label: 'Me' }, { value: 'none', label: 'Unassigned' },
        ...data.staff.map((s) => ({ value: s.id, label: s.active ? s.name : `${s.name} (deactivated)` })),
      ],
      priority: [{ value: '', label: 'Any priority' }, ...[...PRIORITIES].reverse().map((p) => ({ value: p, label: capitalised(p) }))],
      sort: [{ value: 'newest', label: 'Newest first' }, { value: 'oldest', label: 'Oldest first' }],
    },
    bulk: {
      assignee: [
        { value: '', label: 'No change' }, { value: 'none', label: 'Nobody (unassign)' },
        ...data.staff.filter((s) => s.active).map((s) => ({ value: s.id, label: s.name })),
      ],
      status: [{ value: '', label: 'No change' }, ...INQUIRY_STATUSES.map((s) => ({ value: s, label: capitalised(s) }))],
      priority: [{ value: '', label: 'No change' }, ...[...PRIORITIES].reverse().map((p) => ({ value: p, label: capitalised(p) }))],
      topic: [{ value: '', label: 'No change' }, ...data.topics.filter((t) => t.active).map((t) => ({ value: t.key, label: t.label }))],
      snooze: [
        { value: 'tomorrow', label: 'Tomorrow, 09:00' }, { value: 'monday', label: 'Next Monday, 09:00' },
        { value: 'at', label: 'The date and time below' },
      ],
    },
    list,
  };
}

/** What the inbox page's bulk form asks for: which inquiries, and a change or a snooze. */
export interface BulkForm {
  /** The list to go back to, as its URL. */
  back: string;
  /** The selected ids, or null for "every inquiry matching" the list's view and filters (`filter`, as a query). */
  ids: string[] | null;
  filter: Record<string, string>;
  action: { kind: 'change'; changes: Record<string, string | null> } | { kind: 'snooze'; when: SnoozeWhen };
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/**
 * Reads the bulk form (a checkbox `ids` per row, `all` for every matching one, the list's `f_*` fields, the change's
 * selects, or `action=snooze` with `snooze` and `snoozeAt`). Answers the form, or the words of what is missing.
 */
export function parseBulkForm(body: Record<string, unknown>): { form: BulkForm } | { back: string; problem: string } {
  const state = Object.fromEntries(LINK_PARAMS.map((n) => [n, text(body[`f_${n}`])]).filter(([, v]) => v)) as ListState;
  const back = inboxHref(state);
  const ids = ([] as unknown[]).concat(body.ids ?? []).map(text).filter(Boolean);
  const all = body.all === 'matching';
  if (!all && !ids.length) return { back, problem: 'Nothing changed: select at least one inquiry (or "Select all … matching") first.' };
  if (ids.some((id) => !UUID_TEXT.test(id))) return { back, problem: 'Nothing changed: the selection was not right. Select the inquiries again.' };
  const filter = Object.fromEntries(Object.entries(state).filter(([n]) => n !== 'sort')) as Record<string, string>;
  if (body.action === 'snooze') {
    const choice = text(body.snooze);
    if (choice === 'tomorrow' || choice === 'monday') return { form: { back, ids: all ? null : ids, filter, action: { kind: 'snooze', when: { preset: choice } } } };
    const at = text(body.snoozeAt);
    if (choice !== 'at' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(at)) {
      return { back, problem: 'Nothing snoozed: choose when to snooze until (for "the date and time below", enter a date and time).' };
    }
    return { form: { back, ids: all ? null : ids, filter, action: { kind: 'snooze', when: { at } } } };
  }
  const changes: Record<string, string | null> = {};
  const assignee = text(body.assigneeId);
  if (assignee) changes.assigneeId = assignee === 'none' ? null : assignee;
  for (const name of ['status', 'priority', 'topic', 'addTag'] as const) if (text(body[name])) changes[name] = text(body[name]);
  if (!Object.keys(changes).length) return { back, problem: 'Nothing changed: choose at least one change (assign to, status, priority, topic or a tag to add).' };
  return { form: { back, ids: all ? null : ids, filter, action: { kind: 'change', changes } } };
}
