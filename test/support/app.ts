import { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.setup.js';
import { AppConfig, loadConfig } from '../../src/config/app-config.js';
import { createTestDatabase, dropTestDatabase, urlFor } from './database.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestApp {
  app: NestExpressApplication;
  http: ReturnType<NestExpressApplication['getHttpServer']>;
  config: AppConfig;
  db: DataSource;
  databaseName: string;
  close(): Promise<void>;
}

/** Settings of a test app: environment variables as SPEC §2 names them, plus typed overrides. */
export interface TestAppOptions {
  env?: Record<string, string>;
  config?: Partial<AppConfig>;
  /** Reuse a database (e.g. to start a second app on the same data); default: a fresh one. */
  databaseName?: string;
}

/** Builds the real application on a fresh migrated database, with its own Redis key prefix. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const databaseName = options.databaseName ?? (await createTestDatabase());
  const ownDatabase = !options.databaseName;
  const prefix = `pi-test-${randomBytes(4).toString('hex')}`;
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: urlFor(databaseName),
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKERS: 'off',
      RATE_LIMIT_IP_PER_HOUR: '1000',
      RATE_LIMIT_EMAIL_PER_HOUR: '1000',
      ...options.env,
    },
    options.config,
  );
  const app = await createApp(config);
  await app.init();
  const db = app.get(DataSource);
  return {
    app,
    http: app.getHttpServer(),
    config,
    db,
    databaseName,
    async close() {
      await app.close();
      await clearRedisPrefix(config.redisUrl, config.queuePrefix);
      if (ownDatabase) await dropTestDatabase(databaseName);
    },
  };
}

export async function clearRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Redis may be down on purpose in a test; nothing to clear then.
  } finally {
    redis.disconnect();
  }
}
