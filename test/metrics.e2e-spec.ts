import type { INestApplicationContext } from '@nestjs/common';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ConfigError, loadConfig, MailTuning } from '../src/config/app-config.js';
import { MetricsListener } from '../src/metrics/metrics.listener.js';
import { MailQueue } from '../src/queue/mail-queue.js';
import { startWorkers } from '../src/queue/worker-process.js';
import { clearRedisPrefix, createTestApp, REDIS_URL, TestApp } from './support/app.js';
import { createTestDatabase, dropTestDatabase, urlFor } from './support/database.js';
import { validInquiry } from './support/factories.js';
import { TestSmtpServer } from './support/smtp.js';
import { createStaff } from './support/staff.js';

const TOKEN = 'metrics-token-for-the-tests-0123456789';
const AUTH = `Bearer ${TOKEN}`;
/** Short timings, so renewals happen during a slow send (lease 3 s: a renewal every 750 ms). */
const FAST_MAIL: MailTuning = { backoffMs: 200, maxAttempts: 5, relayPollMs: 200, leaseMs: 3_000, concurrency: 4, maxConnections: 2 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, read back: every sample, and each metric family's TYPE. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`Not a sample line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

/** Every metric of ours with its labels (a histogram's samples also carry `le`). The README documents each one. */
const OURS: Record<string, { type: string; labels: string[] }> = {
  policy_inbox_http_request_duration_seconds: { type: 'histogram', labels: ['method', 'route', 'status'] },
  policy_inbox_outbox_emails: { type: 'gauge', labels: ['kind', 'status'] },
  policy_inbox_outbox_oldest_pending_age_seconds: { type: 'gauge', labels: [] },
  policy_inbox_mail_sends_total: { type: 'counter', labels: ['result'] },
  policy_inbox_smtp_send_duration_seconds: { type: 'histogram', labels: ['result'] },
  policy_inbox_queue_jobs: { type: 'gauge', labels: ['queue', 'state'] },
  policy_inbox_mail_claims_renewed_total: { type: 'counter', labels: [] },
  policy_inbox_mail_claims_lapsed_total: { type: 'counter', labels: ['reason'] },
  policy_inbox_metrics_collect_errors_total: { type: 'counter', labels: ['source'] },
};
const family = (sample: string) => sample.replace(/_(bucket|sum|count)$/, '');

describe('GET /metrics (API process, workers inline)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const scrape = async () => {
    const res = await request(t.http).get('/metrics').set('Authorization', AUTH).expect(200);
    return { text: res.text, ...parse(res.text) };
  };

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ env: { WORKERS: 'inline', SMTP_URL: smtp.url, METRICS_TOKEN: TOKEN }, config: { mail: FAST_MAIL } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('answers 401 without the token, with a wrong one and with other schemes', async () => {
    for (const auth of [undefined, 'Bearer wrong-token-wrong-token', `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN]) {
      const req = request(t.http).get('/metrics');
      if (auth) req.set('Authorization', auth);
      const res = await req;
      expect(`${auth} -> ${res.status}`).toBe(`${auth} -> 401`);
      expect(res.body).toEqual({ statusCode: 401, message: expect.any(String) });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      expect(res.text).not.toContain('policy_inbox_');
    }
  });

  it('serves the Prometheus text format with the token (any case of "Bearer")', async () => {
    const res = await request(t.http).get('/metrics').set('Authorization', `bearer ${TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('# TYPE policy_inbox_outbox_emails gauge');
  });

  it('counts sends by result, times them, and renews the claims of a slow send', async () => {
    // The first acknowledgement is refused once (451: retried), the routing email for good (550: failed).
    let refusedOnce = false;
    smtp.respondWith((_env, _n, m) => {
      const kind = String(m.headers.get('x-email-kind'));
      if (kind === 'routing') return { code: 550, message: 'No such mailbox' };
      if (kind === 'acknowledgement' && !refusedOnce) {
        refusedOnce = true;
        return { code: 451, message: 'Try again later' };
      }
      return null;
    });
    smtp.answerDelayMs = 1_200;
    try {
      const { body } = await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201);
      await smtp.waitFor({ reference: body.reference, kind: 'acknowledgement' }, 20_000);
      for (let i = 0; ; i++) {
        const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbound_emails WHERE inquiry_id = $1 AND status IN ('pending','sending')`, [body.id]);
        if (n === 0) break;
        if (i > 200) throw new Error('emails still unfinished');
        await sleep(100);
      }
    } finally {
      smtp.respondWith(null);
      smtp.answerDelayMs = 0;
    }
    const { samples } = await scrape();
    expect(value(samples, 'policy_inbox_mail_sends_total', { result: 'sent' })).toBe(1);
    expect(value(samples, 'policy_inbox_mail_sends_total', { result: 'retry' })).toBe(1);
    expect(value(samples, 'policy_inbox_mail_sends_total', { result: 'failed' })).toBe(1);
    expect(value(samples, 'policy_inbox_smtp_send_duration_seconds_count', { result: 'sent' })).toBe(1);
    expect(value(samples, 'policy_inbox_smtp_send_duration_seconds_count', { result: 'error' })).toBe(2);
    expect(value(samples, 'policy_inbox_smtp_send_duration_seconds_sum', { result: 'sent' })).toBeGreaterThanOrEqual(1.1);
    expect(value(samples, 'policy_inbox_mail_claims_renewed_total')).toBeGreaterThanOrEqual(1);
    // The failed routing email shows in the outbox gauges; nothing is waiting.
    expect(value(samples, 'policy_inbox_outbox_emails', { kind: 'routing', status: 'failed' })).toBe(1);
    expect(value(samples, 'policy_inbox_outbox_emails', { status: 'pending' })).toBe(0);
    expect(value(samples, 'policy_inbox_outbox_oldest_pending_age_seconds')).toBe(0);
  });

  it('counts a claim another worker took over as lapsed', async () => {
    smtp.answerDelayMs = 2_500;
    try {
      const { body } = await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201);
      // While the send is at the SMTP server, "another worker" claims the rows (as after a lapsed lease).
      for (let i = 0; ; i++) {
        const [, taken]: [unknown, number] = await t.db.query(
          `UPDATE outbound_emails SET attempts = attempts + 1 WHERE inquiry_id = $1 AND status = 'sending'`, [body.id],
        );
        if (taken > 0) break;
        if (i > 200) throw new Error('never claimed');
        await sleep(20);
      }
      await smtp.waitFor({ reference: body.reference }, 20_000);
      for (let i = 0; value((await scrape()).samples, 'policy_inbox_mail_claims_lapsed_total', { reason: 'taken_over' }) < 1; i++) {
        if (i > 50) throw new Error('no lapse counted');
        await sleep(100);
      }
    } finally {
      smtp.answerDelayMs = 0;
    }
    const { samples } = await scrape();
    expect(value(samples, 'policy_inbox_mail_claims_lapsed_total', { reason: 'taken_over' })).toBeGreaterThanOrEqual(1);
    expect(samples.some((s) => s.name === 'policy_inbox_mail_claims_lapsed_total' && s.labels.reason === 'expired_before_send')).toBe(true);
  });

  it('reads the outbox and the queues at scrape time: rows by kind and status, the oldest pending, jobs by state', async () => {
    await t.db.query(
      `INSERT INTO outbound_emails (id, kind, recipient, subject, message_id, status, created_at, next_attempt_at)
       SELECT u, 'digest', 'team@example.org', 'Waiting', '<' || u || '@localhost>', 'pending', now() - interval '15 minutes', now() + interval '1 hour'
       FROM gen_random_uuid() AS u`,
    );
    const job = await t.app.get(MailQueue).queue.add('send', { emailId: '00000000-0000-4000-8000-000000000000' }, { delay: 3_600_000 });
    try {
      const { samples } = await scrape();
      expect(value(samples, 'policy_inbox_outbox_emails', { kind: 'digest', status: 'pending' })).toBe(1);
      expect(value(samples, 'policy_inbox_outbox_emails', { kind: 'invitation', status: 'sending' })).toBe(0);
      expect(value(samples, 'policy_inbox_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(900);
      expect(value(samples, 'policy_inbox_outbox_oldest_pending_age_seconds')).toBeLessThan(1_000);
      expect(value(samples, 'policy_inbox_queue_jobs', { queue: 'mail', state: 'delayed' })).toBeGreaterThanOrEqual(1);
      const queues = new Set(samples.filter((s) => s.name === 'policy_inbox_queue_jobs').map((s) => `${s.labels.queue} ${s.labels.state}`));
      for (const q of ['mail', 'inbound-email', 'maintenance']) for (const s of ['waiting', 'active', 'delayed', 'failed']) expect(queues).toContain(`${q} ${s}`);
    } finally {
      await job.remove();
      await t.db.query(`DELETE FROM outbound_emails WHERE kind = 'digest' AND subject = 'Waiting'`);
    }
  });

  it('labels requests by route pattern and status, never by the path: no address, id or token in a label', async () => {
    const admin = await createStaff(t, 'admin');
    const id = '0b9c3f4e-8d7a-4c21-9e5f-3a2b1c0d9e8f';
    await request(t.http).get('/api/admin/data-subjects/x@y/export').expect(401);
    await request(t.http).get('/api/admin/data-subjects/aisha.khan%40example.org/export').set('Authorization', admin.auth);
    await request(t.http).get(`/api/admin/inquiries/${id}`).set('Authorization', admin.auth).expect(404);
    await request(t.http).get('/no/such/page/x@y').expect(404);
    await request(t.http).get(`/admin/set-password/${'t'.repeat(80)}`);
    await request(t.http).get('/assets/x@y.css');
    await request(t.http).get('/admin/queues/api/x@y');
    await request(t.http).get('/health');

    const { samples, text } = await scrape();
    const counts = samples.filter((s) => s.name === 'policy_inbox_http_request_duration_seconds_count');
    const has = (method: string, route: string, status: string) =>
      counts.some((s) => s.labels.method === method && s.labels.route === route && s.labels.status === status && s.value >= 1);
    expect(has('GET', '/api/admin/data-subjects/:email/export', '401')).toBe(true);
    expect(counts.some((s) => s.labels.route === '/api/admin/data-subjects/:email/export' && s.labels.status !== '401')).toBe(true);
    expect(has('GET', '/api/admin/inquiries/:id', '404')).toBe(true);
    expect(has('GET', 'unmatched', '404')).toBe(true);
    expect(has('GET', '/assets/*', '404')).toBe(true);
    expect(counts.some((s) => s.labels.route === '/admin/queues/*')).toBe(true);
    expect(has('GET', '/health', '200')).toBe(true);
    expect(has('POST', '/api/inquiries', '201')).toBe(true);

    // Every route label is a pattern the router knows (or one of the collapsed ones), and holds nothing personal.
    const router = t.app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: unknown } }[] } };
    const patterns = new Set(router.router.stack.map((l) => l.route?.path).filter((p): p is string => typeof p === 'string'));
    for (const route of new Set(counts.map((s) => s.labels.route))) {
      expect(patterns.has(route) || ['unmatched', '/assets/*', '/api/docs/*', '/admin/queues/*'].includes(route) ? route : `unknown label ${route}`).toBe(route);
    }
    expect(text).not.toMatch(/x@y|%40|example\.org|0b9c3f4e|tttttttttt/);
  });

  it('names every metric with its labels, event-loop lag included, and documents each in the README', async () => {
    const { samples, types } = await scrape();
    const ours = new Map<string, Set<string>>();
    for (const s of samples) {
      const name = family(s.name);
      if (!name.startsWith('policy_inbox_')) continue;
      if (!ours.has(name)) ours.set(name, new Set());
      for (const l of Object.keys(s.labels)) if (l !== 'le') ours.get(name)!.add(l);
    }
    expect([...ours.keys()].sort()).toEqual(Object.keys(OURS).sort());
    for (const [name, { type, labels }] of Object.entries(OURS)) {
      expect(`${name} ${types.get(name)} ${[...ours.get(name)!].sort().join(',')}`).toBe(`${name} ${type} ${[...labels].sort().join(',')}`);
    }
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']) {
      expect(types.get(name)).toBe('gauge');
    }
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    for (const name of [...Object.keys(OURS), 'nodejs_eventloop_lag_p99_seconds']) expect(readme.includes(`\`${name}\``) ? name : `${name} not in README`).toBe(name);
  });

  it('keeps /metrics out of the OpenAPI document and away from /api/admin', async () => {
    const { body } = await request(t.http).get('/api/docs-json').expect(200);
    expect(Object.keys(body.paths).filter((p) => p.includes('metrics'))).toEqual([]);
    await request(t.http).get('/api/admin/metrics').set('Authorization', AUTH).expect(404);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('is not there: 404 with or without a token', async () => {
    await request(t.http).get('/metrics').expect(404);
    await request(t.http).get('/metrics').set('Authorization', AUTH).expect(404);
  });
});

describe('the metrics settings', () => {
  it('needs a token of 16+ printable characters, and a token and a port of its own for METRICS_PORT', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_TOKEN: 'has a space in the middle' })).toThrow(/METRICS_TOKEN: must be printable ASCII/);
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: '9464' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: '9464' })).toThrow(/METRICS_PORT: needs METRICS_TOKEN/);
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: '70000', METRICS_TOKEN: TOKEN })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: '3000', METRICS_TOKEN: TOKEN })).toThrow(/METRICS_PORT: must differ from PORT \(3000\)/);
    expect(loadConfig({ NODE_ENV: 'test', METRICS_PORT: '9464', METRICS_TOKEN: TOKEN })).toMatchObject({ metricsPort: 9464, metricsToken: TOKEN });
    expect(loadConfig({ NODE_ENV: 'test', METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
  });
});

describe('a worker process (npm run start:worker) with METRICS_PORT', () => {
  let workers: INestApplicationContext;
  let databaseName: string;
  let mailDir: string;
  let base: string;
  const prefix = `pi-test-metrics-${process.pid}`;

  beforeAll(async () => {
    databaseName = await createTestDatabase();
    mailDir = mkdtempSync(join(tmpdir(), 'metrics-mail-'));
    const config = loadConfig(
      { NODE_ENV: 'test', DATABASE_URL: urlFor(databaseName), REDIS_URL, QUEUE_PREFIX: prefix, METRICS_TOKEN: TOKEN, METRICS_PORT: '0' },
      { mailDir, mail: FAST_MAIL },
    );
    workers = await startWorkers(config);
    base = `http://127.0.0.1:${workers.get(MetricsListener).port}`;
  });
  afterAll(async () => {
    await workers.close();
    await clearRedisPrefix(REDIS_URL, prefix);
    await dropTestDatabase(databaseName);
    rmSync(mailDir, { recursive: true, force: true });
  });

  it('serves its metrics on that port with the token, and nothing else', async () => {
    await request(base).get('/metrics').expect(401);
    await request(base).get('/metrics').set('Authorization', 'Bearer not-the-token-at-all').expect(401);
    await request(base).get('/').set('Authorization', AUTH).expect(404);
    await request(base).get('/api/inquiries').set('Authorization', AUTH).expect(404);
    const res = await request(base).get('/metrics').set('Authorization', AUTH).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parse(res.text);
    expect(types.get('policy_inbox_mail_sends_total')).toBe('counter');
    expect(types.get('policy_inbox_mail_claims_renewed_total')).toBe('counter');
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(value(samples, 'policy_inbox_queue_jobs', { queue: 'mail', state: 'waiting' })).toBe(0);
    expect(samples.some((s) => s.name === 'policy_inbox_outbox_emails')).toBe(true);
    // No HTTP app here, so no request durations.
    expect(samples.some((s) => s.name.startsWith('policy_inbox_http_request_duration_seconds'))).toBe(false);
  });
});
