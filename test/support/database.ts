import pg from 'pg';
import { userInfo } from 'node:os';
import { migrate } from '../../src/database/preflight.js';

/** Test databases live on the machine's PostgreSQL (TEST_DATABASE_URL's server), one per test file. */
export const SERVER_URL = process.env.TEST_DATABASE_URL ?? `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`;

/** The migrated template of this test run; global setup names it, workers inherit the variable. */
export const templateName = (pid = process.env.POLICY_INBOX_TEST_TEMPLATE_PID ?? String(process.pid)) => `policy_inbox_tpl_${pid}`;

export function urlFor(database: string): string {
  const u = new URL(SERVER_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The first test file to need it creates and migrates the run's template, under an advisory lock. */
async function ensureTemplate(): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [templateName()]);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateName()]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${templateName()}_new"`);
      await migrate(urlFor(`${templateName()}_new`));
      await client.query(`ALTER DATABASE "${templateName()}_new" RENAME TO "${templateName()}"`);
    }
  } finally {
    await client.end();
  }
}

/** A fresh, fully migrated database copied from the run's template, which takes milliseconds. */
export async function createTestDatabase(): Promise<string> {
  await ensureTemplate();
  const name = `policy_inbox_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  // CREATE DATABASE … TEMPLATE fails while another session is copying the same template; retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${templateName()}"`));
      return name;
    } catch (err) {
      if (attempt > 50 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
}

export async function dropTestDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Databases left by test runs that died (their process is gone). */
export async function dropOrphans(): Promise<void> {
  await admin(async (c) => {
    const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname ~ '^policy_inbox_(tpl|test)_[0-9]+'`);
    for (const { datname } of rows as { datname: string }[]) {
      const pid = Number(/^policy_inbox_(?:tpl|test)_(\d+)/.exec(datname)![1]);
      if (!alive(pid)) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  });
}
