import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { failFastRedis } from '../common/redis.js';

/** The BullMQ queue that carries outbound emails; a job's id is its outbound_emails row id. */
export const MAIL_QUEUE = 'mail';

export interface MailJob {
  emailId: string;
}

/** Most rows one relay or sweeper pass hands over. */
const BATCH = 500;

/**
 * The producer side of the mail queue. Its Redis connection fails fast (no offline queue), so an outbox pass
 * during a Redis outage rolls back at once and the rows simply wait for the next pass.
 */
@Injectable()
export class MailQueue implements OnApplicationShutdown {
  readonly queue: Queue<MailJob>;
  private readonly log = new Logger('MailQueue');
  private readonly redis: Redis;
  private lastFailure = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.redis = failFastRedis(config.redisUrl);
    this.queue = new Queue<MailJob>(MAIL_QUEUE, {
      connection: this.redis,
      prefix: config.queuePrefix,
      defaultJobOptions: mailJobOptions(config),
    });
    this.queue.on('error', () => undefined);
  }

  /**
   * Hands unfinished rows to the queue in one transaction: mark a batch enqueued (its rows locked with SKIP
   * LOCKED, so any number of processes can run this at once), add their jobs, commit. If Redis refuses, the
   * transaction rolls back and the rows stay as they were. `where` selects the rows; returns how many were
   * handed over.
   */
  async enqueueFromOutbox(where: string, params: unknown[] = []): Promise<number> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const { records: rows }: { records: { id: string; delay: number }[] } = await runner.query(
        `UPDATE outbound_emails o SET enqueued_at = now()
         FROM (SELECT id FROM outbound_emails WHERE ${where}
               ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED) batch
         WHERE o.id = batch.id
         RETURNING o.id, greatest(0, floor(extract(epoch FROM o.next_attempt_at - now()) * 1000))::int AS delay`,
        params,
        true,
      );
      if (!rows.length) {
        await runner.commitTransaction();
        return 0;
      }
      try {
        await this.add(rows);
      } catch (err) {
        await runner.rollbackTransaction();
        this.reportRedisFailure(err, rows.length);
        return 0;
      }
      await runner.commitTransaction();
      return rows.length;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  private async add(rows: { id: string; delay: number }[]): Promise<void> {
    // BullMQ waits for a connection that is not ready yet; with Redis away, fail now and leave the rows be.
    if (this.redis.status !== 'ready') throw new Error(`Redis connection is ${this.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not answer within 5 s')), 5_000);
    });
    try {
      await Promise.race([
        this.queue.addBulk(
          rows.map((r) => ({ name: 'send', data: { emailId: r.id }, opts: { jobId: r.id, delay: r.delay || undefined } })),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Redis being away is expected now and then; say so once a minute, not on every pass. */
  private reportRedisFailure(err: unknown, count: number): void {
    if (Date.now() - this.lastFailure < 60_000) return;
    this.lastFailure = Date.now();
    this.log.warn(`Could not hand ${count} email(s) to the queue (${(err as Error).message}); they stay in the outbox and will be retried.`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}

/** Every mail job: retried by BullMQ alone, with exponential backoff; finished jobs leave Redis (the row is the record). */
export function mailJobOptions(config: AppConfig): JobsOptions {
  return {
    attempts: config.mail.maxAttempts,
    backoff: { type: 'exponential', delay: config.mail.backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}
