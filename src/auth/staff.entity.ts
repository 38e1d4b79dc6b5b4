import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const ROLES = ['officer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

@Entity('staff')
export class Staff {
  @PrimaryColumn('uuid') id!: string;
  @Column() email!: string;
  @Column() name!: string;
  @Column({ type: 'text' }) role!: Role;
  /** argon2id; null until an invited person sets a password. */
  @Column({ name: 'password_hash', type: 'text', nullable: true }) passwordHash!: string | null;
  @Column() active!: boolean;
  @Column({ name: 'token_version', type: 'int' }) tokenVersion!: number;
  /** When two-factor sign-in was turned on; null while it is off (the secrets are read by TwoFactorService only). */
  @Column({ name: 'two_factor_enabled_at', type: 'timestamptz', nullable: true }) twoFactorEnabledAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** Who is making an admin request, as the auth guard puts it on the request. */
export interface StaffPrincipal {
  id: string;
  email: string;
  name: string;
  role: Role;
}
