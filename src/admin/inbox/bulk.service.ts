import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DataSource } from 'typeorm';
import { fieldErrors } from '../../common/validation.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { DomainError, InvalidInput, InvalidTransition, NotFound } from '../../common/errors.js';
import { BULK_MAX_IDS, BulkChangesDto, BulkFailure, BulkRequestDto, BulkResult, InboxFilterDto, InboxView } from './inbox.dto.js';
import { InboxListService } from './inbox-list.service.js';
import { InboxService, lockInquiry } from './inbox.service.js';
import { SnoozeService, SnoozeWhen } from './snooze.service.js';

/** Inquiries changed at the same time: a few pool connections, leaving the rest of the pool (20) to the pages. */
const CONCURRENCY = 4;

/** Which inquiries a bulk change is for: ids, or every inquiry matching the inbox filters (and, from the page, its view). */
export type BulkSelection = { ids: string[] } | { filter: InboxFilterDto & { view?: InboxView } };

interface Outcome { id: string; result: 'changed' | 'unchanged' | 'failed'; reason?: string; phrase?: string }

/**
 * Bulk changes (SPEC §9). Each inquiry changes on its own terms, in its own short transaction, through the same rules
 * as a single PATCH (InboxService.applyChanges: workflow, audit entry, routing email, version bump); one that cannot
 * change is listed in `failed` and the others still change.
 *
 * Synchronous, not a queued job: measured on a test database (test/bulk.e2e-spec.ts logs it, on the shared 2-core
 * machine), 1,000 inquiries took 0.9-1.6 s and 3,000 took 1.7 s with 4 at a time, so 5,000 (the cap of one selection,
 * by ids or by filter) stay around 3 s, well inside a request's time; a queue, progress rows and a result page would
 * add moving parts for nothing at this size.
 */
@Injectable()
export class BulkService {
  private readonly log = new Logger('BulkService');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly inbox: InboxService,
    private readonly list: InboxListService,
    private readonly snoozes: SnoozeService,
  ) {}

  /** Exactly one of `ids` and `filter`, or 400. */
  static selection(dto: BulkRequestDto): BulkSelection {
    if ((dto.ids === undefined) === (dto.filter === undefined)) {
      throw new InvalidInput([{ field: 'ids', message: 'send either ids (a list of inquiry ids) or filter (inbox filters), not both or neither' }]);
    }
    return dto.ids ? { ids: dto.ids } : { filter: dto.filter! };
  }

  /** A bulk change as a form sent it (text fields), validated as the API validates it, or 400. */
  static changesOf(raw: Record<string, string | null>): BulkChangesDto {
    const changes = plainToInstance(BulkChangesDto, raw);
    const errors = validateSync(changes, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: true } });
    if (errors.length) throw new InvalidInput(fieldErrors(errors));
    return changes;
  }

  async apply(selection: BulkSelection, changes: BulkChangesDto, actor: StaffPrincipal): Promise<BulkResult> {
    const given = Object.entries(changes).filter(([, v]) => v !== undefined);
    if (!given.length) {
      throw new InvalidInput([{ field: 'changes', message: 'changes must set at least one of assigneeId, status, priority, topic, addTag' }]);
    }
    const ids = await this.resolve(selection, actor);
    const outcomes = await eachOf(ids, (id) => this.one(id, changes, actor));
    this.list.invalidateCounts();
    const failed: BulkFailure[] = outcomes.filter((o) => o.result === 'failed').map((o) => ({ id: o.id, reason: o.reason! }));
    const changed = outcomes.filter((o) => o.result === 'changed').length;
    const unchanged = outcomes.filter((o) => o.result === 'unchanged').length;
    return { changed, unchanged, failed, summary: summarise(changed, unchanged, outcomes) };
  }

  /**
   * Snoozes each selected inquiry until the same time (SPEC §9), each on its own terms (only unfinished ones can be
   * snoozed); answers the result in words ("12 snoozed until 2 Dec 2026, 09:00; 1 could not: it is resolved").
   */
  async snooze(selection: BulkSelection, when: SnoozeWhen, actor: StaffPrincipal): Promise<{ snoozed: number; failed: BulkFailure[]; until: string | null }> {
    const ids = await this.resolve(selection, actor);
    let until: string | null = null;
    const outcomes = await eachOf(ids, async (id): Promise<Outcome> => {
      try {
        until = (await this.snoozes.snooze(id, when, actor)).snoozedUntil;
        return { id, result: 'changed' };
      } catch (err) {
        if (err instanceof DomainError) return { id, result: 'failed', reason: err.message };
        throw err;
      }
    });
    return {
      snoozed: outcomes.filter((o) => o.result === 'changed').length,
      failed: outcomes.filter((o) => o.result === 'failed').map((o) => ({ id: o.id, reason: o.reason! })),
      until,
    };
  }

  private async resolve(selection: BulkSelection, actor: StaffPrincipal): Promise<string[]> {
    const ids = 'ids' in selection
      ? [...new Set(selection.ids.map((id) => id.toLowerCase()))]
      : await this.list.matchingIds(selection.filter, actor, BULK_MAX_IDS + 1);
    if (ids.length > BULK_MAX_IDS) {
      throw new InvalidInput([{ field: 'filter', message: `filter matches more than ${BULK_MAX_IDS} inquiries; narrow it and try again` }]);
    }
    return ids;
  }

  private async one(id: string, changes: BulkChangesDto, actor: StaffPrincipal): Promise<Outcome> {
    try {
      const changed = await this.db.transaction(async (tx) => this.inbox.applyChanges(tx, await lockInquiry(tx, id), changes, actor));
      return { id, result: changed ? 'changed' : 'unchanged' };
    } catch (err) {
      if (err instanceof InvalidTransition) {
        const m = /from (\w+) to (\w+)/.exec(err.message);
        return { id, result: 'failed', reason: err.message, phrase: m ? `could not move from ${m[1]} to ${m[2]}` : 'could not change status' };
      }
      if (err instanceof NotFound) return { id, result: 'failed', reason: 'No inquiry has this id', phrase: 'were not found' };
      if (err instanceof InvalidInput) {
        const reason = err.errors.map((e) => e.message).join('; ');
        const field = err.errors[0]?.field;
        const phrase = field === 'assigneeId' ? 'could not be assigned (not an active staff member)'
          : field === 'topic' ? 'could not move to that topic (not an active topic)'
            : field === 'tags' ? 'already have 20 tags' : 'could not be changed';
        return { id, result: 'failed', reason, phrase };
      }
      if (err instanceof DomainError) return { id, result: 'failed', reason: err.message, phrase: 'could not be changed' };
      this.log.error(`Bulk change of inquiry ${id} failed: ${(err as Error).message}`);
      return { id, result: 'failed', reason: 'Something went wrong changing this inquiry; try it again', phrase: 'could not be changed (an error)' };
    }
  }
}

/** Runs `fn` for each id, CONCURRENCY at a time, keeping the order. */
async function eachOf(ids: string[], fn: (id: string) => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(ids.length);
  let next = 0;
  const work = async () => {
    while (next < ids.length) {
      const i = next++;
      outcomes[i] = await fn(ids[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, work));
  return outcomes;
}

/** "48 changed; 2 could not move from spam to waiting". */
export function summarise(changed: number, unchanged: number, outcomes: Outcome[]): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  const parts = [`${n(changed)} changed`];
  if (unchanged) parts.push(`${n(unchanged)} already as asked`);
  const byPhrase = new Map<string, number>();
  for (const o of outcomes) if (o.result === 'failed') byPhrase.set(o.phrase!, (byPhrase.get(o.phrase!) ?? 0) + 1);
  for (const [phrase, count] of byPhrase) parts.push(`${n(count)} ${phrase}`);
  return parts.join('; ');
}
