import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * Tells the relay that outbox rows were committed. In a process that runs the relay it wakes it directly;
 * elsewhere it sends one NOTIFY for all the rows of a short window. (A NOTIFY inside every intake commit
 * would serialise commits on PostgreSQL's notify lock; the relay's poll covers anything missed.)
 */
@Injectable()
export class OutboxSignal implements OnApplicationShutdown {
  private listener?: () => void;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The relay of this process registers here. */
  onNewEmails(listener: () => void): void {
    this.listener = listener;
  }

  /** Rows were (or are about to be) committed: wake a relay within `delayMs`. Calls in the meantime coalesce. */
  poke(delayMs = 10): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.listener) this.listener();
      else if (!this.closed) this.db.query(`SELECT pg_notify('outbound_emails', '')`).catch(() => undefined);
    }, delayMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
