import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import { OutboxSignal } from '../mail/outbox-signal.js';
import { MailQueue } from './mail-queue.js';
import { SerialPass } from '../common/serial-pass.js';

/** Rows written by a transaction that have not been handed to the queue yet. */
const NOT_ENQUEUED = `status = 'pending' AND enqueued_at IS NULL`;

/**
 * Moves new outbox rows to the mail queue. This process's writers wake it directly, other processes' by a
 * NOTIFY after their commit (OutboxSignal); a short poll
 * covers a lost notification, a dropped LISTEN connection and a Redis outage. Passes never overlap in one
 * process, and SKIP LOCKED keeps concurrent processes off each other's rows.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('OutboxRelay');
  private listener?: pg.Client;
  private poll?: NodeJS.Timeout;
  private reconnect?: NodeJS.Timeout;
  private readonly passes = new SerialPass(() => this.drain());

  constructor(
    private readonly config: AppConfig,
    private readonly queue: MailQueue,
    private readonly signal: OutboxSignal,
  ) {}

  onApplicationBootstrap(): void {
    this.signal.onNewEmails(() => this.wake());
    void this.listen();
    this.poll = setInterval(() => this.wake(), this.config.mail.relayPollMs);
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    // Stopped first, so the listener's 'end' below does not schedule a reconnect.
    const stopping = this.passes.stop();
    clearInterval(this.poll);
    clearTimeout(this.reconnect);
    await this.listener?.end().catch(() => undefined);
    await stopping;
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    this.passes.wake();
  }

  private async drain(): Promise<void> {
    try {
      while (!this.passes.stopped && (await this.queue.enqueueFromOutbox(NOT_ENQUEUED)) > 0) {
        // a full batch may mean more rows behind it
      }
    } catch (err) {
      this.log.warn(`Outbox pass failed: ${(err as Error).message}`);
    }
  }

  private async listen(): Promise<void> {
    if (this.passes.stopped) return;
    const client = new pg.Client({ connectionString: this.config.databaseUrl, application_name: 'policy-inbox-relay' });
    this.listener = client;
    const retry = () => {
      if (this.passes.stopped || this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.reconnect = setTimeout(() => void this.listen(), 1_000);
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => this.wake());
    try {
      await client.connect();
      await client.query('LISTEN outbound_emails');
      // Rows inserted while we were not listening are picked up now rather than at the next poll.
      this.wake();
    } catch {
      retry();
    }
  }
}
