import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { MailRenderer } from '../mail/mail-renderer.js';
import { MailTransport } from '../mail/mail-transport.js';
import { MAIL_QUEUE, MailJob } from './mail-queue.js';
import { ClaimedEmail, OutboundEmails } from './outbound-emails.js';

export type MailJobResult = 'sent' | 'skipped';

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

/** SMTP 5xx is the server's final word; 4xx, timeouts and dropped connections may go better later. */
export function isPermanent(err: unknown): boolean {
  const code = (err as SmtpError)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function describe(err: unknown): string {
  const e = err as SmtpError;
  return [e?.responseCode ?? e?.code, e?.message ?? String(err)].filter(Boolean).join(' ');
}

/**
 * The mail worker: claim the row, render it, send it, record the answer. The row, not the job id, decides
 * whether an email is sent: a job that finds its row sent, failed or held by another worker sends nothing.
 */
@Injectable()
export class MailProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('MailProcessor');
  private worker?: Worker<MailJob, MailJobResult>;
  private connection?: Redis;
  private lastError = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly emails: OutboundEmails,
    private readonly renderer: MailRenderer,
    private readonly transport: MailTransport,
  ) {}

  onApplicationBootstrap(): void {
    this.transport.warmUp();
    const lock = Math.max(2_000, Math.min(30_000, this.config.mail.leaseMs));
    this.connection = new Redis(this.config.redisUrl, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.connection.on('error', () => undefined);
    this.worker = new Worker<MailJob, MailJobResult>(MAIL_QUEUE, (job, token) => this.process(job, token), {
      connection: this.connection,
      prefix: this.config.queuePrefix,
      concurrency: this.config.mail.concurrency,
      // A job whose worker died goes back to the queue after about one lease.
      lockDuration: lock,
      stalledInterval: lock,
    });
    this.worker.on('error', (err) => {
      if (Date.now() - this.lastError < 60_000) return;
      this.lastError = Date.now();
      this.log.warn(`Mail worker: ${err.message}`);
    });
  }

  /** SIGTERM: take no new jobs, let the sends in flight finish and be recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    this.connection?.disconnect();
  }

  async process(job: Job<MailJob>, token?: string): Promise<MailJobResult> {
    const id = job.data.emailId;
    const email = await this.emails.claim(id, this.config.mail.leaseMs);
    if (!email) {
      // Another worker holds the row (this job came back after a stall): look again when its lease ends.
      const leaseEnd = await this.emails.leaseEnd(id);
      if (leaseEnd && token) {
        await job.moveToDelayed(leaseEnd.getTime() + 100, token);
        throw new DelayedError();
      }
      return 'skipped';
    }

    let message;
    try {
      message = this.renderer.render(email);
    } catch (err) {
      await this.emails.markFailed(email, `Could not render: ${describe(err)}`, null);
      this.log.error(`Email ${id} (${email.kind}) could not be rendered: ${(err as Error).message}`);
      throw new UnrecoverableError('render failed');
    }

    let delivery;
    try {
      delivery = await this.transport.send(message);
    } catch (err) {
      await this.failed(job, email, err);
      throw err;
    }
    await this.recordSent(email, delivery.response);
    return 'sent';
  }

  /**
   * The server has the message: recording that must not fail on a passing database outage, or the row's
   * lease would run out and the email go out again. Keep trying (with backoff) for most of the lease.
   */
  private async recordSent(email: ClaimedEmail, response: string): Promise<void> {
    const deadline = Date.now() + this.config.mail.leaseMs * 0.8;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.emails.markSent(email, response);
        return;
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        if (attempt === 0) this.log.warn(`Email ${email.id} was delivered but could not be recorded yet (${(err as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000, Math.max(0, deadline - Date.now()))));
      }
    }
  }

  /** Records a failed send and tells BullMQ whether to retry (it rethrows what we throw). */
  private async failed(job: Job<MailJob>, email: ClaimedEmail, err: unknown): Promise<void> {
    const reason = describe(err);
    const response = (err as SmtpError)?.response ?? null;
    const code = (err as SmtpError)?.responseCode ?? (err as SmtpError)?.code ?? 'error';
    if (isPermanent(err)) {
      await this.emails.markFailed(email, reason, response);
      this.log.warn(`Email ${email.id} (${email.kind}) refused by the SMTP server (${code}); marked failed`);
      throw new UnrecoverableError(reason);
    }
    // BullMQ counts the attempts of this series (an admin's retry starts a new one); the row keeps the total.
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      await this.emails.markFailed(email, reason, response);
      this.log.warn(`Email ${email.id} (${email.kind}) failed after ${email.attempts} attempts (${code}); marked failed`);
      throw new UnrecoverableError(reason);
    }
    // BullMQ's exponential backoff: backoffMs × 2^(attempts made so far).
    const delay = this.config.mail.backoffMs * 2 ** job.attemptsMade;
    await this.emails.markForRetry(email, reason, delay);
    this.log.warn(`Email ${email.id} (${email.kind}) not delivered (${code}); retrying in ${Math.round(delay / 1000)} s`);
  }
}
