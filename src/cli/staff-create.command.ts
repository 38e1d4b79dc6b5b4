import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CreateStaffDto } from '../admin/staff/staff.dto.js';
import { hashPassword } from '../auth/passwords.js';
import type { Role } from '../auth/staff.entity.js';
import { fieldErrors } from '../common/validation.js';

export const USAGE = 'Usage: npm run staff:create -- --email <address> --name <name> --role admin|officer\n' +
  '  The password comes from STAFF_PASSWORD, or is asked for on the terminal (12-200 characters).';

/** A mistake the person at the terminal can fix; the message says how. */
export class CliError extends Error {}

export interface StaffCreateArgs {
  email: string;
  name: string;
  role: Role;
}

export function parseStaffCreateArgs(argv: string[]): StaffCreateArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`);
  }
  const { email, name, role } = values;
  if (typeof email !== 'string' || typeof name !== 'string' || typeof role !== 'string') throw new CliError(USAGE);
  return { email, name, role: role as Role };
}

/** Checks the account with the same rules as `POST /api/admin/staff`, then creates it with its password. */
export async function createStaffAccount(db: DataSource, args: StaffCreateArgs & { password: string }): Promise<{ id: string }> {
  const dto = plainToInstance(CreateStaffDto, { email: args.email, name: args.name, role: args.role, password: args.password });
  const errors = fieldErrors(await validate(dto, { whitelist: true, forbidNonWhitelisted: true }));
  if (errors.length) throw new CliError(errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
  const id = randomUUID();
  const email = dto.email.trim().toLowerCase();
  const passwordHash = await hashPassword(args.password);
  try {
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO staff (id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)`,
        [id, email, dto.name.trim(), dto.role, passwordHash],
      );
      await new AuditService().record(tx, {
        inquiryId: null, actor: null, action: 'staff.created',
        changes: AuditService.diff({}, { id, email, name: dto.name.trim(), role: dto.role, via: 'staff:create' }),
      });
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new CliError('A staff account with this email address already exists.');
    throw err;
  }
  return { id };
}
