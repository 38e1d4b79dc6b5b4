import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const EMAIL_KINDS = ['acknowledgement', 'routing', 'reply', 'invitation', 'digest', 'notification'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];
export type EmailStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** The outbox and the delivery ledger in one row (SPEC §4). Rendered from `kind` + `payload` at send time. */
@Entity('outbound_emails')
export class OutboundEmail {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) kind!: EmailKind;
  @Column({ name: 'inquiry_id', type: 'uuid', nullable: true }) inquiryId!: string | null;
  @Column() recipient!: string;
  @Column() subject!: string;
  /** `<uuid@MAIL_DOMAIN>`, stable across retries. */
  @Column({ name: 'message_id' }) messageId!: string;
  @Column({ name: 'in_reply_to', type: 'text', nullable: true }) inReplyTo!: string | null;
  @Column({ type: 'text', array: true }) references!: string[];
  @Column({ name: 'reply_to', type: 'text', nullable: true }) replyTo!: string | null;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ type: 'text' }) status!: EmailStatus;
  @Column({ type: 'int' }) attempts!: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz' }) nextAttemptAt!: Date;
  @Column({ name: 'enqueued_at', type: 'timestamptz', nullable: true }) enqueuedAt!: Date | null;
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil!: Date | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'smtp_response', type: 'text', nullable: true }) smtpResponse!: string | null;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
