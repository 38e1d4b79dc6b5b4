import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { leaseTimings } from './lease-timings.js';
import { MailQueue } from './mail-queue.js';

/**
 * Rows whose job was lost: `sending` past their lease (the worker died or stopped renewing, and its job may be
 * gone too), or handed to the queue long ago, due and still `pending` (Redis lost the job). Re-adding a job
 * that still exists is a no-op, and the worker's claim decides who sends, so running this in every process is
 * safe. A row handed over by a sweep is left alone for a lease (pending: for `requeuePendingAfterMs`) unless
 * a worker claims it again in between. $1: the lease, $2: requeuePendingAfterMs.
 */
const ABANDONED = `(status = 'pending' AND enqueued_at < now() - $2 * interval '1 millisecond'
      AND next_attempt_at < now() - $2 * interval '1 millisecond')
  OR (status = 'sending' AND locked_until < now()
      AND (enqueued_at < locked_until OR enqueued_at < now() - $1 * interval '1 millisecond'))`;

@Injectable()
export class OutboxSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('OutboxSweeper');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly queue: MailQueue,
  ) {}

  onApplicationBootstrap(): void {
    // Often enough that a lapsed claim waits little more than its lease, rarely enough to cost nothing.
    const every = leaseTimings(this.config.mail).sweepEveryMs;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep().then(() => undefined).finally(() => (this.running = undefined));
    }, every);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const n = await this.queue.enqueueFromOutbox(ABANDONED, [this.config.mail.leaseMs, leaseTimings(this.config.mail).requeuePendingAfterMs]);
        total += n;
        if (!n || this.stopped) break;
      }
    } catch (err) {
      this.log.warn(`Sweep failed: ${(err as Error).message}`);
    }
    if (total) this.log.log(`Re-enqueued ${total} abandoned email(s)`);
    return total;
  }
}
