import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const INQUIRY_STATUSES = ['new', 'open', 'waiting', 'resolved', 'spam'] as const;
export type InquiryStatus = (typeof INQUIRY_STATUSES)[number];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const ENQUIRER_TYPES = [
  'public', 'health_professional', 'researcher', 'journalist', 'parliamentary', 'charity', 'industry', 'other',
] as const;
export type EnquirerType = (typeof ENQUIRER_TYPES)[number];

@Entity('inquiries')
export class Inquiry {
  @PrimaryColumn('uuid') id!: string;
  @Column() reference!: string;
  @Column() name!: string;
  @Column() email!: string;
  @Column({ type: 'text', nullable: true }) organisation!: string | null;
  @Column({ name: 'enquirer_type', type: 'text' }) enquirerType!: EnquirerType;
  @Column({ name: 'topic_key' }) topicKey!: string;
  @Column() subject!: string;
  @Column() message!: string;
  @Column({ name: 'source_url', type: 'text', nullable: true }) sourceUrl!: string | null;
  @Column() consent!: boolean;
  @Column({ type: 'text' }) status!: InquiryStatus;
  @Column({ name: 'spam_reason', type: 'text', nullable: true }) spamReason!: string | null;
  @Column({ type: 'text' }) priority!: Priority;
  @Column({ name: 'assignee_id', type: 'uuid', nullable: true }) assigneeId!: string | null;
  @Column({ type: 'text', array: true }) tags!: string[];
  @Column({ type: 'text' }) channel!: 'api' | 'form';
  /** YYYY-MM-DD */
  @Column({ name: 'expected_response_by', type: 'date' }) expectedResponseBy!: string;
  @Column({ name: 'first_response_at', type: 'timestamptz', nullable: true }) firstResponseAt!: Date | null;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  @Column({ type: 'int' }) version!: number;
  /** What the sensitive-data detector saw at intake ('nhs_number', 'phone_number'); never blocking. */
  @Column({ name: 'sensitive_flags', type: 'text', array: true }) sensitiveFlags!: string[];
  /** Set when retention or erasure replaced the personal fields with placeholders. */
  @Column({ name: 'anonymised_at', type: 'timestamptz', nullable: true }) anonymisedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
