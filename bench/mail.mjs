// `npm run bench:mail` (SPEC §7): 10,000 emails queued in the outbox and drained by the built worker process
// (`node dist/worker.js`: relay → BullMQ → claim → render → pooled SMTP → mark sent) to a local SMTP server,
// against the raw baseline measured in the same run: a bare loop over nodemailer's pooled SMTP transport with
// the same connection count and the same bytes per email. Target: ours ≥ 0.8× baseline, zero duplicates.
// The SMTP server runs in a child process of its own (both sides pay the same for it). Each side first sends
// BENCH_MAIL_WARMUP (1000) emails untimed. Then BENCH_MAIL_ROUNDS (3) rounds alternate the two sides, baseline
// first and last: B O B O B O B. A round's ratio is its drain of ours against the mean of the baselines on
// either side of it, and the result is the median round (these machines are shared, and the baseline alone
// moves by a third within minutes).
// Env: BENCH_EMAILS (10000), BENCH_MAIL_CONNECTIONS (the app's default maxConnections), BENCH_TIMELINE=1 (emails
// sent per half second of each of our drains).
// WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=var/bench/prof-mail") profiles the worker.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  ROOT, appEnv, databaseUrl, dropDatabase, migrate, recreateDatabase, requireBuilt, sleep, startProcess, writeResult,
} from './support/harness.mjs';

const TARGET = 0.8;
/** Emails each side sends untimed first, so neither is measured while its code is still being compiled. */
const WARMUP = 2 * Math.ceil(Number(process.env.BENCH_MAIL_WARMUP ?? 1_000) / 2);
/** Rounds of (ours, baseline) after the first baseline; the median round's ratio is the result. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_MAIL_ROUNDS ?? 3));
/** Optional JSON of mail tuning for the worker (e.g. '{"concurrency":32}'); unset, `node dist/worker.js` runs as shipped. */
const TUNING = process.env.BENCH_MAIL_TUNING;

/** The SMTP server child (`node bench/mail.mjs --sink`): the drills' sink, answering stats over IPC. */
async function runSink() {
  const { SmtpSink } = await import(pathToFileURL(join(ROOT, 'drill/support/smtp-sink.mjs')).href);
  const sink = await SmtpSink.start();
  process.on('message', (msg) => {
    if (msg === 'stats') process.send({ accepted: sink.accepted, distinct: sink.distinct, duplicates: sink.duplicates() });
    if (msg === 'stop') sink.stop().then(() => process.exit(0));
  });
  process.send({ port: sink.port });
}

function startSink() {
  const child = fork(import.meta.filename, ['--sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise((res) => child.once('message', res));
  return next().then(({ port }) => ({
    url: `smtp://127.0.0.1:${port}`,
    stats: () => {
      const answer = next();
      child.send('stats');
      return answer;
    },
    stop: () => {
      child.send('stop');
      return new Promise((res) => child.once('exit', res));
    },
  }));
}

const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);

async function main() {
  requireBuilt('dist/worker.js', 'dist/queue/worker-process.js', 'dist/mail/mail-transport.js');
  const { loadConfig } = await dist('config/app-config.js');
  const { smtpPoolOptions } = await dist('mail/mail-transport.js');
  const { MailRenderer } = await dist('mail/mail-renderer.js');
  const nodemailer = (await import('nodemailer')).default;
  const { Redis } = await import('ioredis');

  const total = 2 * Math.ceil(Number(process.env.BENCH_EMAILS ?? 10_000) / 2);
  const dbName = `policy_inbox_bench_mail_${process.pid}`;
  const db = databaseUrl(dbName);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `policy-inbox-bench-mail-${process.pid}`;
  const sink = await startSink();
  const config = loadConfig({ ...appEnv({ databaseUrl: db, redisUrl, smtpUrl: sink.url, prefix }) });
  const connections = Number(process.env.BENCH_MAIL_CONNECTIONS ?? config.mail.maxConnections);
  console.log(`bench:mail: ${total} emails, ${connections} SMTP connections, worker concurrency ${config.mail.concurrency}`);

  let worker;
  try {
    await recreateDatabase(dbName);
    await migrate(db);

    // ---- baseline: a bare loop over the pooled transport, same connection count, same bytes -------------------
    // Run before and after each of our drains: a round's ratio uses the mean of the two, so a machine that speeds
    // up or slows down during the run (these are shared) does not favour either side.
    const sample = sampleEmails(new MailRenderer(config), config);
    /** `warmUp`: the first baseline only; the transport's code is warm for the later ones. */
    const baseline = async (label, warmUp = false) => {
      const transport = nodemailer.createTransport(smtpPoolOptions(sink.url, connections, config.mail.leaseMs));
      const drain = async (count) => {
        let next = 0;
        const lane = async () => {
          while (next < count) {
            const i = next++;
            const m = sample[i % 2];
            await transport.sendMail({ ...m, messageId: `<${randomUUID()}@${config.mailDomain}>` });
          }
        };
        await Promise.all(Array.from({ length: 64 }, lane));
      };
      if (warmUp) await drain(WARMUP);
      const before = await sink.stats();
      const t0 = performance.now();
      await drain(total);
      const seconds = (performance.now() - t0) / 1000;
      transport.close();
      const after = await sink.stats();
      const rate = total / seconds;
      console.log(`baseline ${label} (bare pooled nodemailer loop): ${total} in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} emails/s, duplicates ${after.duplicates - before.duplicates}`);
      return { rate, duplicates: after.duplicates - before.duplicates };
    };
    const baselines = [await baseline('1', true)];

    // ---- ours: rows in the outbox, drained by `node dist/worker.js` -------------------------------------------
    const beforeOurs = await sink.stats();
    worker = await startProcess({
      name: 'mail-worker',
      command: process.execPath,
      args: [...(process.env.WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean), join(ROOT, TUNING ? 'drill/support/worker.mjs' : 'dist/worker.js')],
      env: { ...appEnv({ databaseUrl: db, redisUrl, smtpUrl: sink.url, prefix }), LOG_LEVEL: 'info', DRILL_MAIL_TUNING: TUNING ?? '{}' },
      readyLine: TUNING ? 'drill worker ready' : 'workers running',
      readyTimeoutMs: 60_000,
    });
    // One watching connection for the whole drain: a new connection per look would fork a PostgreSQL backend
    // every few milliseconds and bill its CPU to our side of the comparison.
    const watch = new pg.Client({ connectionString: db });
    await watch.connect();
    /** Queues `count` emails (as intake writes them: one inquiry, two rows) and waits until every one is sent. */
    let queuedSoFar = 0;
    const drainOutbox = async (count) => {
      const first = queuedSoFar;
      queuedSoFar += count / 2;
      // The clock runs from the moment the rows are committed (as intake would commit them; they cannot be seen
      // before) to the last `sent` recorded, both read from PostgreSQL's clock; the look every 250 ms only finds
      // out that the drain is over.
      const { rows: [{ insertedFrom }] } = await watch.query(`SELECT clock_timestamp() AS "insertedFrom"`);
      await watch.query(INSERT_OUTBOX, [count / 2, config.teamInbox, config.mailDomain, first]);
      const { rows: [{ queuedAt }] } = await watch.query(`SELECT clock_timestamp() AS "queuedAt"`);
      await watch.query(`NOTIFY outbound_emails`);
      // Cheap while the drain runs (the partial index of unfinished rows), counted once at the end.
      while ((await watch.query(`SELECT EXISTS (SELECT 1 FROM outbound_emails WHERE status IN ('pending', 'sending')) AS busy`)).rows[0].busy) {
        await sleep(250);
      }
      const { rows: [{ sent, failed, lastSent, firstSent, lastEnqueued }] } = await watch.query(
        `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*) FILTER (WHERE status = 'failed')::int AS failed,
                max(sent_at) AS "lastSent", min(sent_at) AS "firstSent", max(enqueued_at) AS "lastEnqueued"
         FROM outbound_emails WHERE created_at >= $1`, [insertedFrom]);
      if (failed) throw new Error(`${failed} emails failed`);
      if (sent !== count) throw new Error(`${sent} of ${count} emails sent`);
      if (process.env.BENCH_TIMELINE) {
        const { rows } = await watch.query(
          `SELECT (floor(extract(epoch FROM sent_at - $1::timestamptz) * 2) / 2)::float AS t, count(*)::int AS n
           FROM outbound_emails WHERE created_at >= $2 GROUP BY 1 ORDER BY 1`, [queuedAt, insertedFrom]);
        console.log(`sent per half second: ${rows.map((r) => `${r.t}:${r.n}`).join(' ')}`);
      }
      const after = (t) => ((t.getTime() - queuedAt.getTime()) / 1000).toFixed(2);
      return { seconds: (lastSent.getTime() - queuedAt.getTime()) / 1000, timing: `first sent after ${after(firstSent)} s, all handed to the queue after ${after(lastEnqueued)} s` };
    };
    const rounds = [];
    try {
      // The same warm-up as the baseline's (a fresh process compiles its hot code in its first second or two).
      await drainOutbox(WARMUP);
      for (let r = 1; r <= ROUNDS; r++) {
        const beforeRound = await sink.stats();
        const { rows: [{ commitsBefore }] } = await watch.query(
          `SELECT xact_commit::int AS "commitsBefore" FROM pg_stat_database WHERE datname = current_database()`);
        const ours = await drainOutbox(total);
        await sleep(1_100); // PostgreSQL publishes its statistics about once a second
        const { rows: [{ commits }] } = await watch.query(
          `SELECT xact_commit::int - $1::int AS commits FROM pg_stat_database WHERE datname = current_database()`, [commitsBefore]);
        const afterRound = await sink.stats();
        const rate = total / ours.seconds;
        const duplicates = afterRound.duplicates - beforeRound.duplicates;
        const delivered = afterRound.distinct - beforeRound.distinct; // the baseline has not run since beforeRound
        console.log(`ours ${r} (outbox → BullMQ → worker → SMTP): ${total} in ${ours.seconds.toFixed(2)} s = ${rate.toFixed(0)} emails/s, delivered ${delivered}, duplicates ${duplicates}; ${ours.timing}; ${commits} PostgreSQL transactions (${(commits / total).toFixed(2)} per email)`);
        // The worker waits idle (a blocked Redis read and a poll a second) while the baseline runs.
        baselines.push(await baseline(String(r + 1)));
        const baselineRate = (baselines[r - 1].rate + baselines[r].rate) / 2;
        rounds.push({ rate, baselineRate, ratio: rate / baselineRate, duplicates, delivered });
        console.log(`round ${r}: ${(rate / baselineRate).toFixed(2)}× of the mean of baselines ${r} and ${r + 1} (${baselineRate.toFixed(0)} emails/s)`);
      }
    } finally {
      await watch.end();
    }
    const afterOurs = await sink.stats();
    await worker.stop('SIGTERM');
    worker = undefined;
    // Counted over the worker's whole life (a late copy would count too), less what the baselines in between sent.
    const between = baselines.slice(1);
    const oursDuplicates = afterOurs.duplicates - beforeOurs.duplicates - between.reduce((n, b) => n + b.duplicates, 0);
    const oursDelivered = afterOurs.distinct - beforeOurs.distinct - between.length * total;
    const allDelivered = oursDelivered === WARMUP + ROUNDS * total && rounds.every((r) => r.delivered === total);
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
    const baselineDuplicates = baselines.reduce((n, b) => n + b.duplicates, 0);
    const pass = median.ratio >= TARGET && oursDuplicates === 0 && allDelivered;
    console.log(`ratio ${median.ratio.toFixed(2)}× (median of ${rounds.length} rounds: ${rounds.map((r) => r.ratio.toFixed(2)).join(', ')}); ours ${median.rate.toFixed(0)} against ${median.baselineRate.toFixed(0)} emails/s in that round (target ≥ ${TARGET}×), duplicates ${oursDuplicates} (target 0): ${pass ? 'pass' : 'MISS'}`);
    writeResult('mail', {
      rows: [
        { benchmark: 'mail drain (emails/s)', ours: median.rate, baseline: median.baselineRate, ratio: median.ratio, target: `≥ ${TARGET}×`, pass: median.ratio >= TARGET },
        { benchmark: 'mail duplicates', ours: oursDuplicates, baseline: baselineDuplicates, ratio: null, target: '0', pass: oursDuplicates === 0 && allDelivered },
      ],
    });
    process.exitCode = pass ? 0 : 1;
  } finally {
    await worker?.stop('SIGTERM');
    await sink.stop();
    await dropDatabase(dbName);
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect().then(async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    }).catch(() => undefined);
    redis.disconnect();
  }
}

/** One acknowledgement and one routing email as the worker renders them, so the baseline sends the same bytes. */
function sampleEmails(renderer, config) {
  const inquiry = {
    id: randomUUID(), reference: 'POL-BENCH1', name: 'Aisha Khan', email: 'aisha@example.org', organisation: 'Example Health Trust',
    enquirerType: 'health_professional', topicKey: 'waiting-times', subject: 'Two-week wait referrals in my region',
    message: MESSAGE, sourceUrl: 'https://www.example.org/policy/cancer-services-in-england', channel: 'api',
    expectedResponseBy: '2026-12-08', createdAt: new Date().toISOString(),
  };
  const topic = { key: 'waiting-times', label: 'Waiting times and cancer services' };
  const row = (kind, recipient, subject, replyTo) => ({
    id: randomUUID(), kind, recipient, subject, messageId: '', inReplyTo: null, references: [], replyTo, payload: {}, inquiry, topic,
  });
  return [
    row('acknowledgement', inquiry.email, `Your question to the policy team [${inquiry.reference}]`, null),
    row('routing', config.teamInbox, `[${inquiry.reference}] ${inquiry.subject}`, inquiry.email),
  ].map((r) => {
    const m = renderer.render(r);
    return { from: m.from, to: m.to, replyTo: m.replyTo, subject: m.subject, text: m.text, html: m.html, headers: m.headers };
  });
}

const MESSAGE =
  'What is the charity doing about the two-week wait target for suspected cancer referrals? ' +
  'In our region the proportion of patients seen within two weeks has fallen for three quarters running, ' +
  'and colleagues in primary care are asking what the national picture looks like and what is being asked of government.';

/** `inquiries` inquiries and their acknowledgement and routing rows, as intake writes them, in one statement. */
const INSERT_OUTBOX = `
WITH i AS (
  INSERT INTO inquiries (id, reference, name, email, organisation, enquirer_type, topic_key, subject, message, source_url,
                         consent, channel, expected_response_by)
  SELECT gen_random_uuid(), 'POL-B' || lpad(n::text, 6, '0'), 'Aisha Khan', 'aisha.' || n || '@example.org', 'Example Health Trust',
         'health_professional', 'waiting-times', 'Two-week wait referrals in my region', '${MESSAGE.replace(/'/g, "''")}',
         'https://www.example.org/policy/cancer-services-in-england', true, 'api', current_date + 14
  FROM generate_series($4::int + 1, $4::int + $1::int) AS n
  RETURNING id, reference, email, subject
)
INSERT INTO outbound_emails (id, kind, inquiry_id, recipient, subject, message_id, reply_to)
SELECT e.id, e.kind, i.id, e.recipient, e.subject, '<' || e.id || '@' || $3 || '>', e.reply_to
FROM i CROSS JOIN LATERAL (VALUES
  (gen_random_uuid(), 'acknowledgement', i.email, 'Your question to the policy team [' || i.reference || ']', NULL::text),
  (gen_random_uuid(), 'routing', $2::text, '[' || i.reference || '] ' || i.subject, i.email)
) AS e(id, kind, recipient, subject, reply_to)`;

if (process.argv.includes('--sink')) await runSink();
else await main();
