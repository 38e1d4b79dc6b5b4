import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('topics')
export class Topic {
  @PrimaryColumn() key!: string;
  @Column() label!: string;
  @Column() description!: string;
  /** Routing mailbox; null means TEAM_INBOX. */
  @Column({ type: 'text', nullable: true }) mailbox!: string | null;
  @Column({ name: 'response_target_days', type: 'int' }) responseTargetDays!: number;
  @Column() active!: boolean;
  @Column({ name: 'sort_order', type: 'int' }) sortOrder!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
