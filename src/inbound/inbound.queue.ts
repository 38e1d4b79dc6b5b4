import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { InboundProcessor } from './inbound.processor.js';
import { SerialPass } from '../common/serial-pass.js';
import { failFastRedis } from '../common/redis.js';

/** The BullMQ queue of stored inbound messages; a job's id is its inbound_emails row id. */
export const INBOUND_QUEUE = 'inbound-email';

/** Whether this process runs the inbound worker (set by InboundModule.forRoot). */
export const RUN_INBOUND_WORKER = Symbol('RUN_INBOUND_WORKER');

export interface InboundJob {
  inboundEmailId: string;
}

const BATCH = 200;

/** Rows not handed to the queue yet, or handed over so long ago that Redis must have lost the job. */
const WAITING = `status = 'received' AND (enqueued_at IS NULL OR enqueued_at < now() - $1 * interval '1 millisecond')`;

/**
 * Moves stored inbound messages to the queue (in every process: a poll plus a wake-up after each store, so a
 * message stored while Redis was down goes out once it is back) and, where workers run, processes them.
 * The database row decides: a job for a row that is no longer `received` does nothing.
 */
@Injectable()
export class InboundQueue implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly log = new Logger('InboundQueue');
  private readonly redis: Redis;
  readonly queue: Queue<InboundJob>;
  private worker?: Worker<InboundJob>;
  private timer?: NodeJS.Timeout;
  private readonly passes = new SerialPass(() => this.drain());
  private lastFailure = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly processor: InboundProcessor,
    @Inject(RUN_INBOUND_WORKER) private readonly runWorker: boolean,
  ) {
    // Fails fast while Redis is away: the rows wait in PostgreSQL for the next pass.
    this.redis = failFastRedis(config.redisUrl);
    this.queue = new Queue<InboundJob>(INBOUND_QUEUE, {
      connection: this.redis,
      prefix: config.queuePrefix,
      skipWaitingForReady: true,
      // BullMQ's version check would be the first command; failing fast before the connection is up, it would
      // leave the queue unusable for good. Redis ≥ 5 is checked at start-up instead.
      skipVersionCheck: true,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 3, backoff: { type: 'exponential', delay: 1_000 } },
    });
    this.queue.on('error', () => undefined);
  }

  onApplicationBootstrap(): void {
    if (this.runWorker) {
      this.worker = new Worker<InboundJob>(
        INBOUND_QUEUE,
        async (job) => this.processor.process(job.data.inboundEmailId),
        { connection: { url: this.config.redisUrl, maxRetriesPerRequest: null }, prefix: this.config.queuePrefix, concurrency: 4 },
      );
      this.worker.on('error', () => undefined);
    }
    this.timer = setInterval(() => this.wake(), Math.max(200, this.config.mail.relayPollMs));
    this.wake();
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    this.passes.wake();
  }

  private async drain(): Promise<void> {
    try {
      while (!this.passes.stopped && (await this.enqueueWaiting()) >= BATCH) {
        // a full batch may mean more rows behind it
      }
    } catch (err) {
      this.log.warn(`Inbound pass failed: ${(err as Error).message}`);
    }
  }

  /** Locks a batch (SKIP LOCKED: any number of processes may run this), adds their jobs, marks them enqueued. */
  private async enqueueWaiting(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows: { id: string }[] = await tx.query(
        `SELECT id FROM inbound_emails WHERE ${WAITING} ORDER BY received_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        [this.config.mail.leaseMs],
      );
      if (!rows.length) return 0;
      try {
        await this.queue.addBulk(rows.map((r) => ({ name: 'process', data: { inboundEmailId: r.id }, opts: { jobId: r.id } })));
      } catch (err) {
        if (Date.now() - this.lastFailure > 60_000) {
          this.lastFailure = Date.now();
          this.log.warn(`Could not hand ${rows.length} inbound message(s) to the queue (${(err as Error).message}); they stay stored and will be retried.`);
        }
        return 0;
      }
      await tx.query(`UPDATE inbound_emails SET enqueued_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /** Stops taking work while the database is still open, letting a pass or a job in flight finish. */
  async onModuleDestroy(): Promise<void> {
    const stopping = this.passes.stop();
    clearInterval(this.timer);
    await stopping;
    await this.worker?.close().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
