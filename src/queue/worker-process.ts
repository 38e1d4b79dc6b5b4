import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Logger, LoggerModule } from 'nestjs-pino';
import { logOptions } from '../common/logging.js';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { dataSourceOptions } from '../database/data-source.js';
import { RedisModule } from '../common/redis.js';
import { InboundModule } from '../inbound/inbound.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PrivacyModule } from '../privacy/privacy.module.js';
import { QueueModule } from './queue.module.js';
import { SnoozeModule } from '../admin/inbox/snooze.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';

@Module({})
class WorkerModule {}

/** PostgreSQL connections per worker process. */
const WORKER_DB_POOL = 10;

/**
 * The workers alone (`npm run start:worker`): outbox relay, sweeper and mail worker, inbound processing and
 * the scheduled jobs (digest, retention), no HTTP (but /metrics on METRICS_PORT if set). Shutdown hooks are on,
 * so SIGTERM stops taking jobs, lets the sends in flight finish, closes the SMTP pool, then exits.
 */
export async function startWorkers(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(
    {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(logOptions(config)),
        // Claims and sent marks are batched into one statement each, so a few connections serve any concurrency.
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl, WORKER_DB_POOL), autoLoadEntities: false }),
        RedisModule,
        AuditModule,
        MailModule,
        QueueModule.forRoot(config, { workers: true }),
        // Answers by email, the daily digest and retention run wherever workers run.
        InboundModule.forRoot(config, { http: false, workers: true }),
        PrivacyModule.forRoot(config, { http: false, workers: true }),
        // Snoozed inquiries wake where the workers run.
        SnoozeModule.forRoot(config, { workers: true }),
        // No HTTP here: /metrics on METRICS_PORT when that is set.
        MetricsModule.forRoot(config, { http: false }),
      ],
    },
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  return app;
}
