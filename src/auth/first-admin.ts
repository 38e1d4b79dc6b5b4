import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { hashPassword } from './passwords.js';

/**
 * The first admin comes from ADMIN_EMAIL/ADMIN_PASSWORD when both are set and no staff account exists.
 * An advisory lock makes it safe when several processes start at once: only one creates it.
 */
@Injectable()
export class FirstAdmin implements OnApplicationBootstrap {
  private readonly log = new Logger(FirstAdmin.name);

  constructor(private readonly config: AppConfig, private readonly db: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail, adminPassword } = this.config;
    if (!adminEmail || !adminPassword) return;
    const [{ exists }] = await this.db.query(`SELECT EXISTS (SELECT 1 FROM staff) AS exists`);
    if (exists) return;
    const hash = await hashPassword(adminPassword);
    const created = await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('policy-inbox:first-admin'))`);
      const rows: unknown[] = await tx.query(
        `INSERT INTO staff (id, email, name, role, password_hash)
         SELECT $1, $2, 'Administrator', 'admin', $3 WHERE NOT EXISTS (SELECT 1 FROM staff)
         RETURNING id`,
        [randomUUID(), adminEmail, hash],
      );
      return rows.length > 0;
    });
    if (created) this.log.log('Created the first admin account from ADMIN_EMAIL and ADMIN_PASSWORD');
  }
}
