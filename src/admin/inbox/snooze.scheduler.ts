import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { AppConfig } from '../../config/app-config.js';
import { SnoozeService } from './snooze.service.js';

export const SNOOZE_QUEUE = 'snooze';

/**
 * Wakes snoozed inquiries: a BullMQ Job Scheduler runs the database sweep every minute (however many processes upsert
 * it, it fires once per slot) and each snooze adds a delayed job for its own time, which runs the same sweep (so a
 * lost or early job changes nothing: the database is the truth, the sweep is idempotent). Runs in every API process
 * (the inbox lives there, whatever WORKERS says); with Redis down, the next minute's sweep catches up.
 */
@Injectable()
export class SnoozeScheduler implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly log = new Logger('SnoozeScheduler');
  private queue?: Queue;
  private worker?: Worker;
  private retry?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig, private readonly snooze: SnoozeService) {}

  onApplicationBootstrap(): void {
    const connection = { url: this.config.redisUrl, maxRetriesPerRequest: null };
    this.queue = new Queue(SNOOZE_QUEUE, { connection, prefix: this.config.queuePrefix });
    this.queue.on('error', () => undefined);
    this.worker = new Worker(SNOOZE_QUEUE, async () => this.snooze.wakeDue(), { connection, prefix: this.config.queuePrefix, concurrency: 1 });
    this.worker.on('error', () => undefined);
    this.snooze.onSnoozed = (id, at) => this.wakeAt(id, at);
    void this.schedule();
  }

  /** A delayed job for one snooze's time (after its transaction commits). */
  async wakeAt(inquiryId: string, at: Date): Promise<void> {
    try {
      await this.queue?.add('wake', { inquiryId }, {
        jobId: `wake-${inquiryId}-${at.getTime()}`, delay: Math.max(0, at.getTime() - Date.now()), removeOnComplete: true, removeOnFail: 100,
      });
    } catch (err) {
      this.log.warn(`Could not queue the wake-up of ${inquiryId} (${(err as Error).message}); the minute sweep will wake it.`);
    }
  }

  private async schedule(): Promise<void> {
    try {
      await this.queue!.upsertJobScheduler('snooze-sweep', { every: 60_000 }, {
        name: 'sweep', opts: { removeOnComplete: 100, removeOnFail: 100 },
      });
    } catch (err) {
      this.log.warn(`Could not schedule the snooze sweep (${(err as Error).message}); trying again in 30 s.`);
      this.retry = setTimeout(() => void this.schedule(), 30_000);
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.retry);
    await this.worker?.close().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
  }
}
