// `npm run drill [-- name ...]`: fault drills against the built app, each under steady load, each with its
// own Redis (a child redis-server), its own database and its own SMTP server, cleaned up afterwards.
// Each ends with: drill <name>: accepted=N stored=N emails_expected=N emails_delivered=N duplicates=N lost=N
// Exit code 1 when any drill lost something or sent a duplicate (a worker kill may repeat what was at the SMTP
// server and not yet recorded). Workers run with the production mail settings (lease, backoff, relay poll).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, SERVER_URL, databaseUrl, dropDatabase, migrate, privatePostgres, privateRedis, query, recreateDatabase,
  requireBuilt, sleep, startApi, startWorker,
} from '../bench/support/harness.mjs';
import { inquiryBody } from '../bench/support/inquiries.mjs';
import { postInquiry, steadyLoad } from './support/load.mjs';
import { SmtpSink } from './support/smtp-sink.mjs';

const DRAIN_TIMEOUT_MS = 180_000;
/** SPEC §4: with the production settings, everything a SIGKILLed worker held goes out within 60 s. */
const KILL_TO_LAST_LIMIT_MS = 60_000;
const log = (line) => console.log(`  [${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Redis, SMTP, a fresh migrated database, API and worker processes for one drill. */
async function setup(name, { apis = 1, workers = 1, cluster = null } = {}) {
  const redis = await privateRedis(`drill-${name}-redis`, 'drill');
  const smtp = await SmtpSink.start();
  const dbName = `policy_inbox_drill_${name.replace(/-/g, '_')}`;
  const server = cluster ? cluster.server : SERVER_URL;
  await recreateDatabase(dbName, server);
  const url = databaseUrl(dbName, server);
  await migrate(url);
  const common = {
    databaseUrl: url, redisUrl: redis.url, smtpUrl: smtp.url, prefix: `drill-${name}`, logKind: 'drill', LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'warn',
  };
  const started = await Promise.all([
    ...Array.from({ length: apis }, (_, i) => startApi({ name: `drill-${name}-api${i + 1}`, ...common })),
    ...Array.from({ length: workers }, (_, i) => startWorker({ name: `drill-${name}-worker${i + 1}`, ...common })),
  ]);
  const ctx = {
    name,
    redis,
    smtp,
    url,
    apis: started.slice(0, apis),
    workers: started.slice(apis),
    startWorker: (n) => startWorker({ name: `drill-${name}-worker${n}`, ...common }),
    async cleanup() {
      await Promise.all([...ctx.apis, ...ctx.workers].map((p) => p.stop('SIGTERM', 5_000)));
      await smtp.stop();
      await redis.stop();
      if (!process.env.DRILL_KEEP_DATABASES) await dropDatabase(dbName, server);
    },
  };
  return ctx;
}

/**
 * SIGKILLs a worker and measures what it left: `inFlight` rows it had claimed (`sending`), and `atServer` the
 * messages the SMTP server had taken (or was taking) that were not recorded as sent: the only ones another
 * worker may rightly send again.
 */
async function killWorker(ctx, i = 0) {
  await ctx.workers[i].stop('SIGKILL');
  const killedAt = Date.now();
  await ctx.smtp.settled();
  const [{ inFlight, sent }] = await query(
    ctx.url,
    `SELECT count(*) FILTER (WHERE status = 'sending')::int AS "inFlight", count(*) FILTER (WHERE status = 'sent')::int AS sent FROM outbound_emails`,
  );
  const atServer = Math.max(0, ctx.smtp.distinct - sent);
  log(`worker: SIGKILL with ${inFlight} claimed email(s), ${atServer} of them at the SMTP server and not recorded`);
  return { killedAt, inFlight, atServer };
}

/** Waits until no outbound email is pending or sending (or the time is up); returns the status counts. */
async function drain(ctx, timeoutMs = DRAIN_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let counts = {};
  for (;;) {
    const rows = await query(ctx.url, 'SELECT status, count(*)::int AS n FROM outbound_emails GROUP BY status').catch(() => null);
    if (rows) {
      counts = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      if (!counts.pending && !counts.sending) break;
    }
    if (Date.now() > deadline) {
      log(`drain: still unfinished after ${timeoutMs / 1000} s: ${JSON.stringify(counts)}`);
      break;
    }
    await sleep(500);
  }
  await sleep(1_000); // a copy in flight at the last look would arrive now
  return counts;
}

/**
 * Compares what the clients were told, what PostgreSQL holds and what the SMTP server received.
 * `refused(recipient)` marks recipients the SMTP server answers 550: their emails fail, they are not lost.
 */
async function account(ctx, load, { refused = () => false, allowedDuplicates = 0, extra = {} } = {}) {
  const ids = [...load.accepted.keys()];
  const [{ stored }] = await query(ctx.url, 'SELECT count(*)::int AS stored FROM inquiries WHERE id = ANY($1::uuid[])', [ids]);
  const [{ total }] = await query(ctx.url, 'SELECT count(*)::int AS total FROM inquiries');
  const emails = await query(ctx.url, 'SELECT message_id, recipient, status FROM outbound_emails');
  const received = ctx.smtp.copies;
  let expected = 0;
  let delivered = 0;
  let failed = 0;
  let wronglyDelivered = 0;
  for (const e of emails) {
    const key = `${e.message_id} ${e.recipient.toLowerCase()}`;
    if (e.status === 'failed') failed++;
    if (refused(e.recipient.toLowerCase())) {
      if (received.has(key)) wronglyDelivered++;
      continue;
    }
    expected++;
    if (received.has(key)) delivered++;
  }
  const duplicates = ctx.smtp.duplicates();
  if (duplicates) {
    // What the rows of the repeated emails say: how many attempts, and the last error before the repeat.
    const repeated = [...received].filter(([, n]) => n > 1).map(([k]) => k.split(' ')[0]);
    const rows = await query(ctx.url, 'SELECT attempts, last_error FROM outbound_emails WHERE message_id = ANY($1)', [repeated]);
    const seen = {};
    for (const r of rows) seen[`attempts=${r.attempts} last_error=${(r.last_error ?? '-').slice(0, 60)}`] = (seen[`attempts=${r.attempts} last_error=${(r.last_error ?? '-').slice(0, 60)}`] ?? 0) + 1;
    log(`repeated emails: ${JSON.stringify(seen)}`);
  }
  const lost = ids.length - stored + (expected - delivered);
  const result = {
    accepted: ids.length,
    stored,
    emails_expected: expected,
    emails_delivered: delivered,
    duplicates,
    lost,
    ...extra,
  };
  if (failed || Object.keys(extra).includes('failed')) result.failed = failed;
  if (total > stored) result.unacknowledged = total - stored; // stored, but the client never saw the 201
  if (wronglyDelivered) result.wrongly_delivered = wronglyDelivered;
  const ok = lost === 0 && duplicates <= allowedDuplicates && wronglyDelivered === 0 && ids.length > 0;
  return { ...result, ok, statuses: load.statuses };
}

/**
 * The web form posted twice at once, as a double click does: GET /contact (CSRF cookie and token, form
 * token), wait past the 3-second spam rule, then two identical POSTs together. Both must land on the same
 * confirmation page. Returns how many pairs got one answer.
 */
async function formDoubleClicks(url, pairs) {
  const field = (html, name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  const forms = await Promise.all(
    Array.from({ length: pairs }, async () => {
      const res = await fetch(`${url}/contact`, { signal: AbortSignal.timeout(10_000) });
      const html = await res.text();
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      return { cookie, csrf: field(html, '_csrf'), formToken: field(html, 'formToken') };
    }),
  );
  await sleep(3_200);
  let sameAnswer = 0;
  await Promise.all(
    forms.map(async ({ cookie, csrf, formToken }, i) => {
      const b = inquiryBody();
      const body = new URLSearchParams({
        _csrf: csrf ?? '', formToken: formToken ?? '', name: b.name, email: b.email, organisation: b.organisation,
        enquirerType: b.enquirerType, topic: b.topic, subject: `${b.subject} (form ${i})`, message: b.message, consent: 'yes', website: '',
      }).toString();
      const post = () =>
        fetch(`${url}/contact`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          body,
          signal: AbortSignal.timeout(10_000),
        }).then(async (r) => {
          await r.arrayBuffer();
          return { status: r.status, location: r.headers.get('location') };
        }, () => ({ status: 0 }));
      const [a, c] = await Promise.all([post(), post()]);
      if (a.status === 303 && c.status === 303 && a.location === c.location) sameAnswer++;
      else log(`form double click answered ${a.status} and ${c.status}`);
    }),
  );
  return { sameAnswer };
}

// ---------------------------------------------------------------------------------------------------------

const DRILLS = {
  /** Redis killed (SIGKILL) for 10 s and started again, empty: intake goes on, queued jobs are rebuilt from the outbox. */
  async 'redis-kill'() {
    const ctx = await setup('redis-kill');
    try {
      const load = steadyLoad({ urls: [ctx.apis[0].url], perSecond: 20, seconds: 25 });
      await sleep(6_000);
      log('redis: SIGKILL');
      await ctx.redis.kill();
      await sleep(10_000);
      await ctx.redis.start();
      log('redis: started again (empty)');
      const result = await load.done;
      await drain(ctx);
      return await account(ctx, result);
    } finally {
      await ctx.cleanup();
    }
  },

  /** The SMTP server down for 60 s: emails wait and retry with backoff, then all go out once. */
  async 'smtp-down'() {
    const ctx = await setup('smtp-down');
    try {
      const load = steadyLoad({ urls: [ctx.apis[0].url], perSecond: 20, seconds: 20 });
      await sleep(3_000);
      await ctx.smtp.stop();
      log('smtp: down for 60 s');
      const result = await load.done;
      await sleep(43_000);
      await ctx.smtp.restart();
      log('smtp: up again');
      await drain(ctx);
      return await account(ctx, result);
    } finally {
      await ctx.cleanup();
    }
  },

  /** SMTP answers 451 to everything for 12 s, and 550 for some recipients throughout: retried vs failed. */
  async 'smtp-451-550'() {
    const ctx = await setup('smtp-451-550');
    try {
      const bounce = (r) => r.startsWith('bounce.');
      ctx.smtp.rcptAnswer = (rcpt) => (bounce(rcpt) ? { code: 550, message: '5.1.1 No such user here' } : null);
      const until = Date.now() + 12_000;
      ctx.smtp.dataAnswer = () => (Date.now() < until ? { code: 451, message: '4.3.0 Try again later' } : null);
      log('smtp: 451 for 12 s; 550 for bounce.* recipients');
      let n = 0;
      const load = steadyLoad({
        urls: [ctx.apis[0].url],
        perSecond: 20,
        seconds: 20,
        bodyFor: () => inquiryBody(++n % 7 === 0 ? { email: `bounce.${n}.${process.pid}@example.org` } : {}),
      });
      const result = await load.done;
      await drain(ctx);
      const out = await account(ctx, result, { refused: bounce, extra: { failed: 0 } });
      const [{ bounces }] = await query(ctx.url, `SELECT count(*)::int AS bounces FROM outbound_emails WHERE recipient LIKE 'bounce.%'`);
      if (out.failed !== bounces) {
        log(`expected ${bounces} failed rows (the 550 recipients), found ${out.failed}`);
        out.ok = false;
      }
      return out;
    } finally {
      await ctx.cleanup();
    }
  },

  /** A worker killed (SIGKILL) mid-drain and started again: at most what was at the SMTP server goes out twice. */
  async 'worker-kill'() {
    const ctx = await setup('worker-kill');
    try {
      ctx.smtp.delayMs = 100; // slow SMTP answers keep a backlog and sends in flight
      const load = steadyLoad({ urls: [ctx.apis[0].url], perSecond: 30, seconds: 15 });
      await sleep(8_000);
      const { inFlight, atServer } = await killWorker(ctx);
      log('worker: restarting in 2 s');
      await sleep(2_000);
      ctx.workers[0] = await ctx.startWorker(2);
      const result = await load.done;
      await drain(ctx);
      return await account(ctx, result, { allowedDuplicates: atServer, extra: { in_flight: inFlight, at_server: atServer } });
    } finally {
      await ctx.cleanup();
    }
  },

  /**
   * Issue 12's scenario: one API and one worker, 50 inquiries (100 emails), the SMTP server answering 200 ms a
   * message; the worker SIGKILLed after a few emails and another one started at once. Everything must arrive
   * within 60 s of the kill (production lease), and nothing twice beyond what was at the SMTP server.
   */
  async 'worker-kill-slow'() {
    const ctx = await setup('worker-kill-slow');
    try {
      ctx.smtp.delayMs = 200;
      const url = ctx.apis[0].url;
      const accepted = new Map();
      const statuses = {};
      const bodies = Array.from({ length: 50 }, () => inquiryBody());
      let next = 0;
      await Promise.all(Array.from({ length: 10 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const r = await postInquiry(url, body);
          const key = r.status || r.error;
          statuses[key] = (statuses[key] ?? 0) + 1;
          if (r.status === 201 && r.body?.id) accepted.set(r.body.id, body);
        }
      }));
      for (const deadline = Date.now() + 60_000; ctx.smtp.accepted < 5 && Date.now() < deadline; ) await sleep(20);
      const before = ctx.smtp.accepted;
      const { killedAt, inFlight, atServer } = await killWorker(ctx);
      ctx.workers[0] = await ctx.startWorker(2);
      const workerUp = Date.now() - killedAt;
      log(`worker: another one running ${workerUp} ms after the kill`);
      await drain(ctx, 120_000);
      const killToLast = ctx.smtp.lastAcceptedAt - killedAt;
      const out = await account(ctx, { accepted, statuses }, {
        allowedDuplicates: atServer,
        extra: { sent_before_kill: before, in_flight: inFlight, at_server: atServer, worker_up_ms: workerUp, kill_to_last_ms: killToLast },
      });
      if (accepted.size !== 50 || killToLast > KILL_TO_LAST_LIMIT_MS) out.ok = false;
      return out;
    } finally {
      await ctx.cleanup();
    }
  },

  /** PostgreSQL (a private cluster) restarted with -m immediate mid-load: no 201 without its row; the app recovers. */
  async 'pg-restart'() {
    const cluster = await privatePostgres();
    try {
      const ctx = await setup('pg-restart', { cluster });
      try {
        const load = steadyLoad({ urls: [ctx.apis[0].url], perSecond: 30, seconds: 20 });
        await sleep(6_000);
        log('postgres: pg_ctl restart -m immediate');
        const t = Date.now();
        await cluster.restartImmediate();
        log(`postgres: back after ${((Date.now() - t) / 1000).toFixed(1)} s`);
        const result = await load.done;
        // Recovered: a new submission is accepted again within 30 s.
        let recovered = false;
        for (const deadline = Date.now() + 30_000; Date.now() < deadline && !recovered; ) {
          const r = await postInquiry(ctx.apis[0].url, inquiryBody());
          if (r.status === 201) {
            result.accepted.set(r.body.id, null);
            recovered = true;
          } else await sleep(500);
        }
        await drain(ctx);
        const out = await account(ctx, result, { extra: { recovered } });
        if (!recovered) out.ok = false;
        return out;
      } finally {
        await ctx.cleanup();
      }
    } finally {
      cluster.destroy();
    }
  },

  /** The same submission twice at once (a double click): by API with one Idempotency-Key, and by the web form. */
  async 'double-click'() {
    const ctx = await setup('double-click');
    try {
      const url = ctx.apis[0].url;
      const load = steadyLoad({ urls: [url], perSecond: 10, seconds: 12 });
      const pairs = 40;
      let sameAnswer = 0;
      const keys = [];
      const clicked = new Map();
      for (let i = 0; i < pairs; i++) {
        const key = `drill-double-click-${process.pid}-${i}`;
        keys.push(key);
        const body = inquiryBody();
        const [a, b] = await Promise.all([postInquiry(url, body, { 'Idempotency-Key': key }), postInquiry(url, body, { 'Idempotency-Key': key })]);
        if (a.status === 201 && b.status === 201 && a.body.id === b.body.id && a.replayed !== b.replayed) sameAnswer++;
        for (const r of [a, b]) if (r.status === 201) clicked.set(r.body.id, body);
        await sleep(200);
      }
      const formPairs = 10;
      const form = await formDoubleClicks(url, formPairs);
      const result = await load.done;
      for (const [id, body] of clicked) result.accepted.set(id, body);
      // A form answer (303 to the confirmation page) carries no id; the form's rows are the ones acknowledged.
      for (const { id } of await query(ctx.url, `SELECT id FROM inquiries WHERE channel = 'form'`)) result.accepted.set(id, null);
      await drain(ctx);
      const rows = await query(
        ctx.url,
        `SELECT count(*)::int AS n FROM inquiries i JOIN idempotency_keys k ON k.inquiry_id = i.id WHERE k.key = ANY($1)`,
        [keys],
      );
      const extraRows = rows[0].n - pairs;
      // Form inquiries carry their form token as idempotency key `form:<n>`: one row per pair.
      const [{ formRows }] = await query(ctx.url, `SELECT count(*)::int AS "formRows" FROM inquiries WHERE channel = 'form'`);
      const out = await account(ctx, result, {
        extra: { pairs, same_answer: sameAnswer, form_pairs: formPairs, form_same_answer: form.sameAnswer, form_rows: formRows },
      });
      out.duplicates += Math.max(0, extraRows) + Math.max(0, formRows - formPairs);
      if (sameAnswer !== pairs || extraRows !== 0 || form.sameAnswer !== formPairs || formRows !== formPairs) out.ok = false;
      return out;
    } finally {
      await ctx.cleanup();
    }
  },

  /** Two API processes and two worker processes on one Redis and one PostgreSQL: every email once. */
  async 'two-by-two'() {
    const ctx = await setup('two-by-two', { apis: 2, workers: 2 });
    try {
      const load = steadyLoad({ urls: ctx.apis.map((a) => a.url), perSecond: 30, seconds: 20 });
      const result = await load.done;
      await drain(ctx);
      return await account(ctx, result);
    } finally {
      await ctx.cleanup();
    }
  },
};

async function main() {
  requireBuilt('queue/worker-process.js');
  rmSync(join(ROOT, 'var', 'drill', 'logs'), { recursive: true, force: true });
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-') && !a.endsWith('.mjs') && !a.endsWith('.js'));
  const names = wanted.length ? wanted : Object.keys(DRILLS);
  for (const n of names) if (!DRILLS[n]) throw new Error(`no drill named ${n}; drills: ${Object.keys(DRILLS).join(', ')}`);
  const started = Date.now();
  const lines = [];
  let failures = 0;
  for (const name of names) {
    console.log(`drill ${name}: starting`);
    const t = Date.now();
    let out;
    try {
      out = await DRILLS[name]();
    } catch (err) {
      out = { ok: false, error: err.message.split('\n').slice(0, 6).join(' | ') };
    }
    const { ok, statuses, error, ...fields } = out;
    const line = error
      ? `drill ${name}: ERROR ${error}`
      : `drill ${name}: ${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    if (statuses) log(`responses: ${JSON.stringify(statuses)} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    console.log(`${line}${ok ? '' : '   <-- FAILED'}`);
    lines.push(`${line}${ok ? '' : '   <-- FAILED'}`);
    if (!ok) failures++;
  }
  console.log(`\ndrills: ${names.length - failures}/${names.length} passed in ${((Date.now() - started) / 1000).toFixed(0)} s (logs in var/drill/logs)`);
  for (const l of lines) console.log(l);
  process.exitCode = failures ? 1 : 0;
}

main().catch((err) => {
  console.error(`drill failed: ${err.stack ?? err}`);
  process.exit(2);
});
