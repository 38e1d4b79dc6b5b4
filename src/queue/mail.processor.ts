import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { MailRenderer } from '../mail/mail-renderer.js';
import { MailTransport } from '../mail/mail-transport.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { leaseTimings, LeaseTimings } from './lease-timings.js';
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
 * Places for claimed emails between the claim and the SMTP server's answer. A job takes one before it claims
 * its row and gives it back when the server has answered, so a worker holds claims only on what it is about
 * to send (a few per SMTP connection), while the rest of its jobs wait unclaimed: if it dies, those need no
 * lease to run out. `close()` turns the waiting jobs away.
 */
class SendSlots {
  private free: number;
  private readonly waiting: ((granted: boolean) => void)[] = [];
  private closed = false;

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves true with a slot, or false once the worker is closing. */
  acquire(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.free++;
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(false);
  }
}

/**
 * The mail worker: take a send slot, claim the row, render it, send it, record the answer. The row, not the
 * job id, decides whether an email is sent: a job that finds its row sent, failed or held by another worker
 * sends nothing. While the worker lives it renews all its claims every quarter lease (one statement); every
 * mark names the attempts it claimed with, so a worker that lost its claim (its lease lapsed while it was
 * stopped or cut off) neither sends the message after that nor overwrites another worker's result.
 */
@Injectable()
export class MailProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('MailProcessor');
  private worker?: Worker<MailJob, MailJobResult>;
  private connection?: Redis;
  private lastError = 0;
  private lastRenewalWarning = 0;
  private renewTimer?: NodeJS.Timeout;
  private readonly timings: LeaseTimings;
  private readonly slots: SendSlots;

  constructor(
    private readonly config: AppConfig,
    private readonly emails: OutboundEmails,
    private readonly renderer: MailRenderer,
    private readonly transport: MailTransport,
    private readonly metrics: MetricsService,
  ) {
    this.timings = leaseTimings(config.mail);
    this.slots = new SendSlots(Math.max(1, config.mail.claimsAhead ?? 8 * config.mail.maxConnections));
  }

  onApplicationBootstrap(): void {
    this.transport.warmUp();
    this.connection = new Redis(this.config.redisUrl, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.connection.on('error', () => undefined);
    this.worker = new Worker<MailJob, MailJobResult>(MAIL_QUEUE, (job, token) => this.process(job, token), {
      connection: this.connection,
      prefix: this.config.queuePrefix,
      concurrency: this.config.mail.concurrency,
      // A dead worker's jobs lose their lock within lockDuration and are back in the queue one check later.
      lockDuration: this.timings.lockDurationMs,
      stalledInterval: this.timings.stalledIntervalMs,
    });
    this.worker.on('error', (err) => {
      if (Date.now() - this.lastError < 60_000) return;
      this.lastError = Date.now();
      this.log.warn(`Mail worker: ${err.message}`);
    });
    this.renewTimer = setInterval(() => void this.renewClaims(), this.timings.renewEveryMs);
  }

  /** SIGTERM: take no new jobs, hand the unclaimed ones back, let the sends in flight finish and be recorded. */
  /**
   * While intake is busy (the supervisor of `npm start` says so) run only `jobs` mail jobs at a time, so sending
   * trickles on without taking the CPU from intake; `undefined` goes back to the configured concurrency. Jobs in
   * flight finish either way.
   */
  throttle(jobs?: number): void {
    if (this.worker) this.worker.concurrency = jobs ?? this.config.mail.concurrency;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.slots.close();
    await this.worker?.close();
    clearInterval(this.renewTimer);
    this.connection?.disconnect();
  }

  /** One statement for every claim held; the SMTP thread learns the new deadlines of what it has not sent yet. */
  private async renewClaims(): Promise<void> {
    try {
      const { renewed, lost } = await this.emails.renew(this.config.mail.leaseMs);
      this.metrics.claimsRenewed.inc(renewed);
      this.metrics.claimsLapsed.inc({ reason: 'taken_over' }, lost);
      this.transport.leasesChanged();
      if (lost) this.log.warn(`${lost} claim(s) were taken over by another worker (their lease had lapsed); they will not be sent from here`);
    } catch (err) {
      // The leases run on; the next renewal may succeed in time (three chances before one lapses).
      if (Date.now() - this.lastRenewalWarning < 60_000) return;
      this.lastRenewalWarning = Date.now();
      this.log.warn(`Could not renew ${this.emails.heldCount} claim(s): ${(err as Error).message}`);
    }
  }

  async process(job: Job<MailJob>, token?: string): Promise<MailJobResult> {
    if (!(await this.slots.acquire())) {
      // Shutting down before this job claimed anything: back to the queue at once for another worker.
      if (token) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      return 'skipped';
    }
    let slot = true;
    const freeSlot = () => {
      if (slot) this.slots.release();
      slot = false;
    };
    let email: ClaimedEmail | null = null;
    try {
      const id = job.data.emailId;
      email = await this.emails.claim(id, this.config.mail.leaseMs, this.timings.sendMarginMs);
      if (!email) {
        freeSlot();
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
        freeSlot();
        await this.emails.markFailed(email, `Could not render: ${describe(err)}`, null);
        this.metrics.mailSends.inc({ result: 'failed' });
        this.log.error(`Email ${id} (${email.kind}) could not be rendered: ${(err as Error).message}`);
        throw new UnrecoverableError('render failed');
      }

      let delivery;
      const smtpTimer = this.metrics.smtpDuration.startTimer();
      try {
        delivery = await this.transport.send(message, email.lease);
        smtpTimer({ result: 'sent' });
      } catch (err) {
        freeSlot();
        if ((err as SmtpError)?.code === 'ELEASE') {
          this.metrics.claimsLapsed.inc({ reason: 'expired_before_send' });
          // Never sent: the claim lapsed first (this worker was stopped or could not renew it). The row goes back
          // to `pending` if it is still ours, and the job to the queue without using up an attempt.
          const ours = await this.emails.markForRetry(email, describe(err), 0);
          this.log.warn(`Email ${email.id} (${email.kind}) not sent: its claim lapsed before a connection took it${ours ? '; queued again' : ' and another worker has it'}`);
          if (token) {
            await job.moveToDelayed(Date.now(), token);
            throw new DelayedError();
          }
          return 'skipped';
        }
        smtpTimer({ result: 'error' });
        await this.failed(job, email, err);
        throw err;
      }
      freeSlot();
      this.metrics.mailSends.inc({ result: 'sent' });
      await this.recordSent(email, delivery.response);
      return 'sent';
    } finally {
      freeSlot();
      if (email) this.emails.release(email);
    }
  }

  /**
   * The server has the message: recording that must not fail on a passing database outage, or the email would
   * go out again. Keep trying (with backoff) for a minute; the claim is renewed meanwhile, and a claim another
   * worker took over in between is left to it (the mark names our attempts, so it changes nothing).
   */
  private async recordSent(email: ClaimedEmail, response: string): Promise<void> {
    const deadline = Date.now() + this.timings.recordSentForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        if (!(await this.emails.markSent(email, response))) {
          this.log.warn(`Email ${email.id} (${email.kind}) was delivered after its claim had passed to another worker; the row keeps that worker's result`);
        }
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
      this.metrics.mailSends.inc({ result: 'failed' });
      await this.emails.markFailed(email, reason, response);
      this.log.warn(`Email ${email.id} (${email.kind}) refused by the SMTP server (${code}); marked failed`);
      throw new UnrecoverableError(reason);
    }
    // BullMQ counts the attempts of this series (an admin's retry starts a new one); the row keeps the total.
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      this.metrics.mailSends.inc({ result: 'failed' });
      await this.emails.markFailed(email, reason, response);
      this.log.warn(`Email ${email.id} (${email.kind}) failed after ${email.attempts} attempts (${code}); marked failed`);
      throw new UnrecoverableError(reason);
    }
    // BullMQ's exponential backoff: backoffMs × 2^(attempts made so far).
    const delay = this.config.mail.backoffMs * 2 ** job.attemptsMade;
    this.metrics.mailSends.inc({ result: 'retry' });
    if (await this.emails.markForRetry(email, reason, delay)) {
      this.log.warn(`Email ${email.id} (${email.kind}) not delivered (${code}); retrying in ${Math.round(delay / 1000)} s`);
    } else {
      this.log.warn(`Email ${email.id} (${email.kind}) not delivered (${code}); its claim had passed to another worker`);
    }
  }
}
