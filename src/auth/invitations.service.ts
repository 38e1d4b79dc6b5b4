import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { OutboxService } from '../mail/outbox.service.js';

export const INVITATION_DAYS = 7;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** One-time links to set a password. The database keeps only the token's hash; the link is the secret. */
@Injectable()
export class InvitationsService {
  constructor(private readonly config: AppConfig, private readonly outbox: OutboxService) {}

  /** Inside `tx`: a new token for the staff member and the invitation email that carries its link. */
  async invite(tx: EntityManager, staff: { id: string; email: string; name: string }): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    // A new invitation replaces any still open: only the latest link works.
    await tx.query(`UPDATE staff_invitations SET used_at = now() WHERE staff_id = $1 AND used_at IS NULL`, [staff.id]);
    await tx.query(
      `INSERT INTO staff_invitations (token_hash, staff_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))`,
      [sha256(token), staff.id, INVITATION_DAYS],
    );
    const setPasswordUrl = `${this.config.publicBaseUrl}/admin/set-password?token=${encodeURIComponent(token)}`;
    await this.outbox.add(tx, [{
      kind: 'invitation',
      inquiryId: null,
      recipient: staff.email,
      subject: 'Your Policy Inbox account: set your password',
      payload: { name: staff.name, setPasswordUrl, expiresInDays: INVITATION_DAYS },
    }]);
  }

  /** Whether the token would be accepted now (without using it up): the set-password page asks before showing its form. */
  async isOpen(db: EntityManager, token: string): Promise<boolean> {
    const rows: unknown[] = await db.query(
      `SELECT 1 FROM staff_invitations i JOIN staff s ON s.id = i.staff_id
        WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > now() AND s.active`,
      [sha256(token)],
    );
    return rows.length > 0;
  }

  /** Inside `tx`: uses up a valid, unexpired token once and returns its staff id; null for anything else. */
  async redeem(tx: EntityManager, token: string): Promise<string | null> {
    const rows: { staff_id: string }[] = await tx.query(
      // A CTE, so TypeORM returns plain rows (it answers an UPDATE with [rows, count]).
      `WITH used AS (
         UPDATE staff_invitations SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING staff_id)
       SELECT staff_id FROM used`,
      [sha256(token)],
    );
    return rows[0]?.staff_id ?? null;
  }
}
