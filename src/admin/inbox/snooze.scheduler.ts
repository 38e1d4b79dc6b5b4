import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { failFastRedis } from '../../common/redis.js';
import { AppConfig } from '../../config/app-config.js';
import { SnoozeService } from './snooze.service.js';

export const SNOOZE_QUEUE = 'snooze';
/** Whether this process runs the snooze sweep (set by SnoozeModule.forRoot: where the queue workers run). */
export const RUN_SNOOZE_SWEEP = Symbol('RUN_SNOOZE_SWEEP');

/**
 * Wakes snoozed inquiries: a BullMQ Job Scheduler runs the database sweep every minute (however many processes upsert
 * it, it fires once per slot) and each snooze adds a delayed job for its own time, which runs the same sweep (so a
 * lost or early job changes nothing: the database is the truth, the sweep is idempotent). The sweep runs where the
 * queue workers run (`WORKERS=inline`, `npm run start:worker`); every process that takes snoozes adds the delayed
 * jobs through a connection that fails fast, so with Redis down a snooze still saves and the minute's sweep wakes it.
 */
@Injectable()
export class SnoozeScheduler implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly log = new Logger('SnoozeScheduler');
  private producer?: { queue: Queue; redis: Redis };
  private sweeper?: { queue: Queue; worker: Worker };
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly snooze: SnoozeService,
    @Inject(RUN_SNOOZE_SWEEP) private readonly run: boolean,
  ) {}

  onApplicationBootstrap(): void {
    const redis = failFastRedis(this.config.redisUrl);
    const queue = new Queue(SNOOZE_QUEUE, { connection: redis, prefix: this.config.queuePrefix });
    queue.on('error', () => undefined);
    this.producer = { queue, redis };
    this.snooze.onSnoozed = (id, at) => this.wakeAt(id, at);
    if (!this.run) return;
    const connection = { url: this.config.redisUrl, maxRetriesPerRequest: null };
    const sweepQueue = new Queue(SNOOZE_QUEUE, { connection, prefix: this.config.queuePrefix });
    sweepQueue.on('error', () => undefined);
    const worker = new Worker(SNOOZE_QUEUE, async () => this.snooze.wakeDue(), { connection, prefix: this.config.queuePrefix, concurrency: 1 });
    worker.on('error', () => undefined);
    this.sweeper = { queue: sweepQueue, worker };
    void this.schedule();
  }

  /** A delayed job for one snooze's time (after its transaction commits). */
  async wakeAt(inquiryId: string, at: Date): Promise<void> {
    try {
      if (this.producer?.redis.status !== 'ready') throw new Error('Redis is not reachable');
      await this.producer.queue.add('wake', { inquiryId }, {
        jobId: `wake-${inquiryId}-${at.getTime()}`, delay: Math.max(0, at.getTime() - Date.now()), removeOnComplete: true, removeOnFail: 100,
      });
    } catch (err) {
      this.log.warn(`Could not queue the wake-up of ${inquiryId} (${(err as Error).message}); the minute sweep will wake it.`);
    }
  }

  private async schedule(): Promise<void> {
    try {
      await this.sweeper!.queue.upsertJobScheduler('snooze-sweep', { every: 60_000 }, {
        name: 'sweep', opts: { removeOnComplete: 100, removeOnFail: 100 },
      });
    } catch (err) {
      this.log.warn(`Could not schedule the snooze sweep (${(err as Error).message}); trying again in 30 s.`);
      this.retry = setTimeout(() => void this.schedule(), 30_000);
    }
  }

  /** A sweep in flight finishes while the database is still open. */
  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.retry);
    await this.sweeper?.worker.close().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper?.queue.close().catch(() => undefined);
    await Promise.race([this.producer?.queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.producer?.redis.disconnect();
  }
}
