import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { InvitationsService } from '../../auth/invitations.service.js';
import { hashPassword } from '../../auth/passwords.js';
import { Staff } from '../../auth/staff.entity.js';
import { TwoFactorService } from '../../auth/two-factor.service.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { Conflict, NotFound, Unprocessable } from '../../common/errors.js';
import { AuditService } from '../../audit/audit.service.js';
import { CreateStaffDto, StaffAccountView, UpdateStaffDto } from './staff.dto.js';

const view = (s: Staff): StaffAccountView => ({
  id: s.id, email: s.email, name: s.name, role: s.role, active: s.active, passwordSet: s.passwordHash !== null,
  twoFactor: s.twoFactorEnabledAt !== null && s.twoFactorEnabledAt !== undefined, createdAt: s.createdAt,
});

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** Staff accounts, managed by admins: create (with a password or an invitation), change role, deactivate. */
@Injectable()
export class StaffService {
  constructor(
    @InjectRepository(Staff) private readonly staff: Repository<Staff>,
    private readonly db: DataSource,
    private readonly invitations: InvitationsService,
    private readonly audit: AuditService,
    private readonly twoFactor: TwoFactorService,
  ) {}

  /** One account, as the list shows it; 404 for none. */
  async get(id: string): Promise<StaffAccountView> {
    const member = await this.staff.findOneBy({ id });
    if (!member) throw new NotFound('No staff account has this id');
    return view(member);
  }

  /**
   * An admin resets another account's two-factor sign-in (SPEC §5, §8): its key and recovery codes go, its
   * sessions end and its API tokens stop (token_version); audited as 'staff.2fa-reset'. 422 for one's own account
   * or an account without two-factor sign-in.
   */
  async resetTwoFactor(id: string, actor: StaffPrincipal): Promise<StaffAccountView> {
    await this.twoFactor.reset(id, actor);
    return this.get(id);
  }

  async list(): Promise<StaffAccountView[]> {
    return (await this.staff.find({ order: { name: 'ASC', email: 'ASC' } })).map(view);
  }

  async create(dto: CreateStaffDto, actor: StaffPrincipal): Promise<StaffAccountView> {
    const passwordHash = dto.password === undefined ? null : await hashPassword(dto.password);
    const member = this.staff.create({
      id: randomUUID(), email: dto.email.trim().toLowerCase(), name: dto.name.trim(), role: dto.role, passwordHash,
      active: true, tokenVersion: 1, updatedAt: new Date(),
    });
    try {
      await this.db.transaction(async (tx) => {
        await tx.insert(Staff, member);
        if (!passwordHash) await this.invitations.invite(tx, member);
        await this.audit.record(tx, {
          inquiryId: null, actor, action: passwordHash ? 'staff.created' : 'staff.invited',
          changes: AuditService.diff({}, { id: member.id, email: member.email, name: member.name, role: member.role }),
        });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict('A staff account with this email address already exists');
      throw err;
    }
    return view((await this.staff.findOneByOrFail({ id: member.id })));
  }

  /** Emails a new one-time link to set a password (an expired invitation, a forgotten password); older links stop working. */
  async reinvite(id: string, actor: StaffPrincipal): Promise<StaffAccountView> {
    return this.db.transaction(async (tx) => {
      const member = await tx.findOne(Staff, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!member) throw new NotFound('No staff account has this id');
      if (!member.active) throw new Unprocessable('This account is deactivated; activate it first');
      await this.invitations.invite(tx, member);
      await this.audit.record(tx, { inquiryId: null, actor, action: 'staff.invited', changes: { id: { from: id, to: id } } });
      return view(member);
    });
  }

  async update(id: string, dto: UpdateStaffDto, actor: StaffPrincipal): Promise<StaffAccountView> {
    if (id === actor.id && (dto.active === false || (dto.role && dto.role !== 'admin'))) {
      throw new Unprocessable('You cannot deactivate your own account or remove your own admin role');
    }
    return this.db.transaction(async (tx) => {
      const before = await tx.findOne(Staff, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw new NotFound('No staff account has this id');
      const after = { role: dto.role ?? before.role, active: dto.active ?? before.active };
      const changes = AuditService.diff({ role: before.role, active: before.active }, after);
      if (!Object.keys(changes).length) return view(before);
      // Deactivating revokes every token already issued: tokens carry the version they were signed with.
      const tokenVersion = before.active && !after.active ? before.tokenVersion + 1 : before.tokenVersion;
      await tx.update(Staff, { id }, { ...after, tokenVersion, updatedAt: new Date() });
      await this.audit.record(tx, { inquiryId: null, actor, action: 'staff.updated', changes: { id: { from: id, to: id }, ...changes } });
      return view({ ...before, ...after, tokenVersion });
    });
  }
}
