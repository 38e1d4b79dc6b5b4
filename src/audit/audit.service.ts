import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { StaffPrincipal } from '../auth/staff.entity.js';

export type Changes = Record<string, { from: unknown; to: unknown }>;

export interface AuditEntry {
  /** The inquiry the change is about, if any. */
  inquiryId?: string | null;
  /** Who did it; null for the system (scheduled jobs, inbound email). */
  actor: Pick<StaffPrincipal, 'id' | 'email'> | null;
  /** What happened, e.g. 'inquiry.updated', 'reply.sent', 'staff.invited', 'data-subject.erased'. */
  action: string;
  changes?: Changes;
}

/** The audit trail: every change, who made it, when, and each field's before and after. */
@Injectable()
export class AuditService {
  /** Records inside the caller's transaction, so the trail and the change commit together. */
  async record(tx: EntityManager, entry: AuditEntry): Promise<void> {
    await tx.query(
      `INSERT INTO audit_events (id, inquiry_id, actor_id, actor_email, action, changes) VALUES ($1, $2, $3, $4, $5, $6)`,
      [randomUUID(), entry.inquiryId ?? null, entry.actor?.id ?? null, entry.actor?.email ?? null, entry.action,
        JSON.stringify(entry.changes ?? {})],
    );
  }

  /** Only the fields whose value changed, as `{ field: { from, to } }`. */
  static diff(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
    const changes: Changes = {};
    for (const [field, to] of Object.entries(after)) {
      const from = before[field];
      if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from: from ?? null, to: to ?? null };
    }
    return changes;
  }
}
