import { Redis } from 'ioredis';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';

const COMPOSE_HINT = 'docker compose up -d postgres redis';

/** A dependency that cannot be reached; its message is the one line an operator needs. */
export class Unreachable extends Error {}

function describe(url: string, fallbackPort: number): string {
  try {
    const u = new URL(url);
    return `${u.hostname || '127.0.0.1'}:${u.port || fallbackPort}`;
  } catch {
    return 'an unreadable address';
  }
}

/** Creates the database named in DATABASE_URL if the server does not have it yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const where = describe(databaseUrl, 5432);
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Unreachable(
      `Cannot reach PostgreSQL at ${where} (${(err as Error).message.split('\n')[0]}). ` +
        `Set DATABASE_URL to a reachable server, or start one with: ${COMPOSE_HINT}`,
    );
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created by another process a moment ago
      });
    }
  } finally {
    await client.end();
  }
}

export async function migrate(databaseUrl: string): Promise<number> {
  // Loaded only now: start-up reports an unreachable server before it pays for loading TypeORM and the schema.
  const { createDataSource } = await import('./data-source.js');
  const ds = createDataSource(databaseUrl, 2);
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.length;
  } finally {
    await ds.destroy();
  }
}

export async function checkRedis(redisUrl: string): Promise<string | undefined> {
  const client = new Redis(redisUrl, {
    lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    const policy = await client.config('GET', 'maxmemory-policy').catch(() => undefined);
    return Array.isArray(policy) ? String(policy[1]) : undefined;
  } catch (err) {
    throw new Unreachable(
      `Cannot reach Redis at ${describe(redisUrl, 6379)} (${(err as Error).message.split('\n')[0]}). ` +
        `Set REDIS_URL to a reachable server, or start one with: ${COMPOSE_HINT}`,
    );
  } finally {
    client.disconnect();
  }
}

/** Everything `npm start` checks and prepares before the app is built. Returns Redis's eviction policy. */
export async function prepare(config: AppConfig): Promise<{ migrations: number; redisPolicy?: string }> {
  const [, redisPolicy] = await Promise.all([ensureDatabase(config.databaseUrl), checkRedis(config.redisUrl)]);
  const migrations = await migrate(config.databaseUrl);
  return { migrations, redisPolicy };
}
