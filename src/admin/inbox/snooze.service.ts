import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { ukInstantSql } from '../../common/dates.js';
import { InvalidInput, InvalidTransition } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { OutboxService } from '../../mail/outbox.service.js';
import { inquiryKey, lockInquiry } from './inbox.service.js';

/** When to wake: an instant (ISO, UK time without an offset), or a preset at 09:00 UK time. */
export type SnoozeWhen = { at: string } | { preset: 'tomorrow' | 'monday' };

export class SnoozeState {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() reference!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) snoozedUntil!: string | null;
}

/** Woken per sweep transaction; the rest wait for the next round of the same sweep. */
const SWEEP_BATCH = 200;

/**
 * Snooze (SPEC §9): `snoozed_until` hides an unfinished inquiry from the working views. It wakes at that time
 * (wakeDue, run by SnoozeScheduler: a delayed job per snooze plus a sweep every minute, so a restart or several
 * processes change nothing: a due row is woken once, under FOR UPDATE SKIP LOCKED), at once when the enquirer answers
 * (InboundAttacher), or by hand. Waking at the time tells the assignee (or, with nobody assigned, who snoozed it).
 */
@Injectable()
export class SnoozeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  /** Set by SnoozeScheduler: queues a delayed wake-up for a committed snooze. */
  onSnoozed?: (inquiryId: string, at: Date) => Promise<void>;

  async snooze(idOrReference: string, when: SnoozeWhen, actor: StaffPrincipal): Promise<SnoozeState> {
    const state = await this.db.transaction(async (tx) => {
      const current = await lockInquiry(tx, idOrReference);
      if (!['new', 'open', 'waiting'].includes(current.status)) {
        throw new InvalidTransition(`Only new, open and waiting inquiries can be snoozed; this one is ${current.status}`);
      }
      const params: unknown[] = [];
      const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
      const expr = 'at' in when ? ukInstantSql(when.at, p, 0)
        : when.preset === 'tomorrow'
          ? `((date_trunc('day', now() AT TIME ZONE 'Europe/London') + interval '1 day 9 hours') AT TIME ZONE 'Europe/London')`
          : `((date_trunc('week', now() AT TIME ZONE 'Europe/London') + interval '7 days 9 hours') AT TIME ZONE 'Europe/London')`;
      const [{ at, future }]: { at: Date; future: boolean }[] = await tx.query(`SELECT ${expr} AS at, ${expr} > now() AS future`, params);
      if (!future) throw new InvalidInput([{ field: 'until', message: 'until must be a date and time in the future' }]);
      const [[before]]: [{ snoozed_until: Date | null }[]] = await tx.query(
        `UPDATE inquiries i SET snoozed_until = $2, snoozed_by = $3, version = version + 1, updated_at = now()
         FROM (SELECT snoozed_until FROM inquiries WHERE id = $1) old WHERE i.id = $1 RETURNING old.snoozed_until`,
        [current.id, at, actor.id]);
      await this.audit.record(tx, {
        inquiryId: current.id, actor, action: 'inquiry.snoozed',
        changes: { snoozedUntil: { from: before?.snoozed_until ? new Date(before.snoozed_until).toISOString() : null, to: new Date(at).toISOString() } },
      });
      return { id: current.id, reference: current.reference, snoozedUntil: new Date(at).toISOString() };
    });
    await this.onSnoozed?.(state.id, new Date(state.snoozedUntil!));
    return state;
  }

  /** When the inquiry wakes, if it is snoozed (ISO), else null; 404 for an unknown inquiry. */
  async until(idOrReference: string): Promise<string | null> {
    const key = inquiryKey(idOrReference);
    const [row]: { snoozed_until: Date | null }[] = await this.db.query(`SELECT snoozed_until FROM inquiries WHERE ${key.column} = $1`, [key.value]);
    return row?.snoozed_until ? new Date(row.snoozed_until).toISOString() : null;
  }

  /** Wakes it now, by hand (DELETE …/snooze); a no-op when it is not snoozed. */
  async wake(idOrReference: string, actor: StaffPrincipal): Promise<SnoozeState> {
    return this.db.transaction(async (tx) => {
      const current = await lockInquiry(tx, idOrReference);
      await this.clear(tx, current.id, actor, 'by hand');
      return { id: current.id, reference: current.reference, snoozedUntil: null };
    });
  }

  /**
   * Clears the snooze of a locked inquiry in `tx` with an 'inquiry.woken' audit entry; answers whether it was snoozed.
   * InboundAttacher calls it in the attach transaction (reason 'enquirer-answered').
   */
  async clear(tx: EntityManager, inquiryId: string, actor: Pick<StaffPrincipal, 'id' | 'email'> | null, reason: string): Promise<boolean> {
    const [rows]: [{ snoozed_until: Date }[]] = await tx.query(
      `UPDATE inquiries i SET snoozed_until = NULL, snoozed_by = NULL, version = version + 1, updated_at = now()
       FROM (SELECT snoozed_until FROM inquiries WHERE id = $1) old
       WHERE i.id = $1 AND i.snoozed_until IS NOT NULL RETURNING old.snoozed_until`, [inquiryId]);
    if (!rows.length) return false;
    await this.audit.record(tx, {
      inquiryId, actor, action: 'inquiry.woken',
      changes: { snoozedUntil: { from: new Date(rows[0].snoozed_until).toISOString(), to: null }, reason: { from: null, to: reason } },
    });
    return true;
  }

  /** Wakes every inquiry whose time has come and tells its assignee; answers how many. Safe to run anywhere, any time. */
  async wakeDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.db.transaction(async (tx) => {
        const due: { id: string; reference: string; subject: string; recipient: string | null }[] = await tx.query(
          `SELECT i.id, i.reference, i.subject, coalesce(a.email, b.email) AS recipient
           FROM inquiries i LEFT JOIN staff a ON a.id = i.assignee_id AND a.active LEFT JOIN staff b ON b.id = i.snoozed_by AND b.active
           WHERE i.snoozed_until <= now() ORDER BY i.snoozed_until LIMIT $1 FOR UPDATE OF i SKIP LOCKED`, [SWEEP_BATCH]);
        for (const d of due) {
          await this.clear(tx, d.id, null, 'time');
          if (d.recipient) {
            await this.outbox.add(tx, [{
              kind: 'notification',
              inquiryId: d.id,
              recipient: d.recipient,
              subject: `[${d.reference}] Snoozed inquiry is back: ${d.subject}`,
              payload: { event: 'snooze-woken', reference: d.reference, adminUrl: `${this.config.publicBaseUrl}/admin/inquiries/${d.id}` },
            }]);
          }
        }
        return due.length;
      });
      total += n;
      if (n < SWEEP_BATCH) return total;
    }
  }
}
