import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { AppConfig } from '../config/app-config.js';
import { DigestService } from './digest.service.js';
import { RetentionService } from './retention.service.js';

export const MAINTENANCE_QUEUE = 'maintenance';
/** Whether this process schedules and runs the daily jobs (set by PrivacyModule.forRoot). */
export const RUN_MAINTENANCE = Symbol('RUN_MAINTENANCE');

/** Daily jobs, as BullMQ Job Schedulers: however many processes upsert them, each fires once per slot. */
const SCHEDULES = [
  { id: 'retention-daily', name: 'retention', pattern: '0 30 2 * * *' },
  { id: 'digest-daily', name: 'digest', pattern: '0 0 7 * * *' },
] as const;

/**
 * Schedules and runs the daily jobs where workers run. Each job also guards itself in PostgreSQL (a run row
 * per day), so a retried or doubled job changes nothing.
 */
@Injectable()
export class MaintenanceQueue implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly log = new Logger('MaintenanceQueue');
  private queue?: Queue;
  private worker?: Worker;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly retention: RetentionService,
    private readonly digest: DigestService,
    @Inject(RUN_MAINTENANCE) private readonly run: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.run) return;
    const connection = { url: this.config.redisUrl, maxRetriesPerRequest: null };
    this.queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix: this.config.queuePrefix });
    this.queue.on('error', () => undefined);
    this.worker = new Worker(MAINTENANCE_QUEUE, async (job) => {
      if (job.name === 'retention') return (await this.retention.run('scheduled'))?.id ?? 'already ran today';
      if (job.name === 'digest') return this.digest.sendDaily();
      return 'unknown job';
    }, { connection, prefix: this.config.queuePrefix, concurrency: 1 });
    this.worker.on('error', () => undefined);
    void this.schedule();
  }

  private async schedule(): Promise<void> {
    try {
      for (const s of SCHEDULES) {
        await this.queue!.upsertJobScheduler(s.id, { pattern: s.pattern, tz: 'Europe/London' }, {
          name: s.name, opts: { removeOnComplete: 100, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
        });
      }
    } catch (err) {
      this.log.warn(`Could not schedule the daily jobs (${(err as Error).message}); trying again in 30 s.`);
      this.retry = setTimeout(() => void this.schedule(), 30_000);
    }
  }

  /** A job in flight finishes while the database is still open. */
  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.retry);
    await this.worker?.close().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
  }
}
