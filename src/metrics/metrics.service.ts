import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { failFastRedis } from '../common/redis.js';
import { AppConfig } from '../config/app-config.js';
import { INBOUND_QUEUE } from '../inbound/inbound.queue.js';
import { EMAIL_KINDS } from '../mail/outbound-email.entity.js';
import { MAINTENANCE_QUEUE } from '../privacy/maintenance.queue.js';
import { MAIL_QUEUE } from '../queue/mail-queue.js';

/** What an outbox row can be while it still matters to an operator; `sent` rows are history (see mailSends). */
const OUTBOX_STATUSES = ['pending', 'sending', 'failed'] as const;
const QUEUES = [MAIL_QUEUE, INBOUND_QUEUE, MAINTENANCE_QUEUE] as const;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** A scrape answers within Prometheus's default 10 s timeout even when PostgreSQL or Redis does not. */
const COLLECT_TIMEOUT_MS = 2_000;

/**
 * Outbox gauges in one statement that reads only what its partial indexes cover: unfinished rows
 * (outbound_emails_unfinished_idx) and failed ones (outbound_emails_failed_idx), never the table of sent mail.
 * The oldest unfinished row's age comes with the first half.
 */
const OUTBOX = `
SELECT kind, status, count(*)::int AS emails, extract(epoch FROM now() - min(created_at))::float8 AS oldest_seconds
FROM outbound_emails WHERE status IN ('pending', 'sending') GROUP BY kind, status
UNION ALL
SELECT kind, status, count(*)::int, NULL FROM outbound_emails WHERE status = 'failed' GROUP BY kind, status`;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Prometheus metrics of this process (SPEC §7, README "Metrics"). The counters and histograms are always
 * there, so the places that count need no check; with METRICS_TOKEN unset nothing serves them and the
 * process-level collectors (event-loop lag, memory) do not run. Outbox and queue gauges are read at scrape
 * time, never per request. Each app has a registry of its own (the e2e tests run several in one process).
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnApplicationShutdown {
  readonly enabled: boolean;
  readonly registry = new Registry();
  private readonly log = new Logger('Metrics');
  private readonly expected?: Buffer;

  readonly httpDuration = new Histogram({
    name: 'policy_inbox_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status, from the first middleware to the last byte.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly mailSends = new Counter({
    name: 'policy_inbox_mail_sends_total',
    help: 'Emails handed to the SMTP server (or the .eml writer) by result: sent, retry (4xx or connection error, tried again later), failed (marked failed: 5xx, out of attempts, or unrenderable).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly smtpDuration = new Histogram({
    name: 'policy_inbox_smtp_send_duration_seconds',
    help: 'From handing a message to the SMTP transport to the server\'s answer (sent, or error), including any wait for a pooled connection.',
    labelNames: ['result'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly claimsRenewed = new Counter({
    name: 'policy_inbox_mail_claims_renewed_total',
    help: 'Claim leases this worker renewed (all its claims are renewed in one statement every quarter lease).',
    registers: [this.registry],
  });

  readonly claimsLapsed = new Counter({
    name: 'policy_inbox_mail_claims_lapsed_total',
    help: 'Claims this worker lost by reason: taken_over (its lease lapsed and another worker claimed the row), expired_before_send (too little lease left when a connection was free, so it was not sent from here).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly outboxEmails = new Gauge({
    name: 'policy_inbox_outbox_emails',
    help: 'Outbox rows by kind and status (pending, sending, failed), read at scrape time.',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  private readonly oldestPending = new Gauge({
    name: 'policy_inbox_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest email not sent yet (pending or sending; 0 when there is none), read at scrape time.',
    registers: [this.registry],
  });

  private readonly queueJobs = new Gauge({
    name: 'policy_inbox_queue_jobs',
    help: 'BullMQ jobs by queue and state, read at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  private readonly collectErrors = new Counter({
    name: 'policy_inbox_metrics_collect_errors_total',
    help: 'Scrapes whose outbox (PostgreSQL) or queues (Redis) figures could not be read; those gauges are left out of that scrape.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private redis?: Redis;
  private queues: Queue[] = [];
  private lastWarning = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.enabled = Boolean(config.metricsToken);
    if (config.metricsToken) this.expected = digest(`Bearer ${config.metricsToken}`);
    // Zero is a value an alert can compare with; a series that appears only once it is non-zero is not.
    for (const reason of ['taken_over', 'expired_before_send'] as const) this.claimsLapsed.inc({ reason }, 0);
    for (const result of ['sent', 'retry', 'failed'] as const) this.mailSends.inc({ result }, 0);
    for (const source of ['outbox', 'queues'] as const) this.collectErrors.inc({ source }, 0);
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    // Event-loop lag (nodejs_eventloop_lag_*), memory, CPU, handles, GC: prom-client's process collectors.
    collectDefaultMetrics({ register: this.registry });
    this.redis = failFastRedis(this.config.redisUrl, { commandTimeout: COLLECT_TIMEOUT_MS });
    this.queues = QUEUES.map((name) => {
      const queue = new Queue(name, { connection: this.redis!, prefix: this.config.queuePrefix, skipWaitingForReady: true, skipVersionCheck: true });
      queue.on('error', () => undefined);
      return queue;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close().catch(() => undefined)));
    this.redis?.disconnect();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Whether an Authorization header carries METRICS_TOKEN (compared in constant time). */
  authorize(header: string | undefined): boolean {
    if (!this.expected || !header) return false;
    const bearer = /^bearer /i.test(header) ? `Bearer ${header.slice(7)}` : header;
    return timingSafeEqual(digest(bearer), this.expected);
  }

  /** The text exposition of every metric, the outbox and queue gauges read now. */
  async scrape(): Promise<string> {
    await Promise.all([this.readOutbox(), this.readQueues()]);
    return this.registry.metrics();
  }

  private async readOutbox(): Promise<void> {
    this.outboxEmails.reset();
    this.oldestPending.reset();
    try {
      const rows: { kind: string; status: string; emails: number; oldest_seconds: number | null }[] = await withTimeout(this.db.query(OUTBOX), 'PostgreSQL');
      for (const kind of EMAIL_KINDS) for (const status of OUTBOX_STATUSES) this.outboxEmails.set({ kind, status }, 0);
      let oldest = 0;
      for (const r of rows) {
        this.outboxEmails.set({ kind: r.kind, status: r.status }, r.emails);
        if (r.oldest_seconds !== null) oldest = Math.max(oldest, r.oldest_seconds);
      }
      this.oldestPending.set(oldest);
    } catch (err) {
      this.outboxEmails.reset();
      this.oldestPending.reset();
      this.collectErrors.inc({ source: 'outbox' });
      this.warn(`Could not read the outbox for /metrics: ${(err as Error).message}`);
    }
  }

  private async readQueues(): Promise<void> {
    this.queueJobs.reset();
    try {
      const counts = await withTimeout(Promise.all(this.queues.map((q) => q.getJobCounts(...QUEUE_STATES))), 'Redis');
      counts.forEach((c, i) => {
        for (const state of QUEUE_STATES) this.queueJobs.set({ queue: this.queues[i].name, state }, c[state] ?? 0);
      });
    } catch (err) {
      this.queueJobs.reset();
      this.collectErrors.inc({ source: 'queues' });
      this.warn(`Could not read the queues for /metrics: ${(err as Error).message}`);
    }
  }

  /** Scrapes come every few seconds; an outage is worth a line a minute. */
  private warn(line: string): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.log.warn(line);
  }
}
