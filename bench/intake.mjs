// `npm run bench:intake`: POST /api/inquiries at 32 connections, the built app (WORKERS=off) against the raw
// baseline in bench/baseline-intake.mjs, runs interleaved A/B; throughput, p99, the median ratio and the
// app's peak RSS. Targets (SPEC §7): throughput >= 0.7x baseline, p99 <= 100 ms, RSS <= 300 MB.
// The inline side is the app as `npm start` runs it (WORKERS=inline: the API process supervising its queue
// workers in a child process), its two emails per inquiry draining to an SMTP server in another process
// (bench/support/smtp-counter.mjs) while the load runs: >= 0.8x the same build with WORKERS=off, and after each
// of its rounds the time until its outbox is empty again. All three sides are interleaved in every round.
// Env: BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_INLINE (1; 0 skips the inline side),
// APP_NODE_ARGS (e.g. --cpu-prof; the worker child inherits it).
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DIST, ROOT, cpuMs, databaseUrl, dropDatabase, freePort, httpOk, median, memorySampler, migrate, privateRedis, query, recreateDatabase,
  requireBuilt, startApi, startProcess, writeResult,
} from './support/harness.mjs';
import { inquiryBody } from './support/inquiries.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const APP_DB = 'policy_inbox_bench_intake';
const BASELINE_DB = 'policy_inbox_bench_baseline';
const INLINE_DB = 'policy_inbox_bench_inline';
const INLINE = process.env.BENCH_INLINE !== '0';
const TARGET = { ratio: 0.7, p99Ms: 100, rssMb: 300, inlineRatio: 0.8 };
const UNSENT = `SELECT count(*)::int AS n FROM outbound_emails WHERE status IN ('pending', 'sending')`;

function load(url, seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/api/inquiries`,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: JSON.stringify(inquiryBody()) }),
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

function summarise(result, cpu) {
  const created = result.statusCodeStats?.['201']?.count ?? 0;
  return {
    cpuMsPerRequest: Number(created) ? cpu / Number(created) : null,
    reqPerSec: Number(created) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    created: Number(created),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const fmt = (n, d = 0) => n.toFixed(d);

/** Node flags of `npm run start:api` (or `npm start`), e.g. a heap cap, so the app is measured as it is run. */
function startFlags(name = 'start:api') {
  const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts?.[name] ?? '';
  return script.match(/--max[-_]old[-_]space[-_]size=\d+|--max[-_]semi[-_]space[-_]size=\d+/g) ?? [];
}

/** The SMTP server of the inline side, in a child process; `accepted()` asks it how many messages it took. */
async function startSmtpCounter() {
  const child = fork(join(ROOT, 'bench/support/smtp-counter.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((res, rej) => {
    child.once('message', res);
    child.once('exit', (code) => rej(new Error(`SMTP counter exited (${code})`)));
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted: () => new Promise((res) => {
      child.once('message', (m) => res(m.accepted));
      child.send('stats');
    }),
    stop: () => new Promise((res) => {
      child.once('exit', res);
      child.send('stop');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    }),
  };
}

/** The worker process `npm start` runs beside the API (the API process's child). */
function childOf(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || null;
  } catch {
    return null;
  }
}

async function waitForChild(pid, timeoutMs = 60_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const child = childOf(pid);
    if (child) return child;
  }
  throw new Error(`no worker process under ${pid} after ${timeoutMs} ms`);
}

/** Waits until the outbox is empty again; milliseconds it took. */
async function drained(url, timeoutMs = 300_000) {
  const t0 = Date.now();
  for (;;) {
    const [{ n }] = await query(url, UNSENT);
    if (n === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The baseline must send the app's statement; say so loudly when the app's has changed since it was copied. */
function checkSameStatement() {
  const statement = (file) => {
    const m = /const INSERT_SUBMISSION = `([\s\S]*?)`;/.exec(readFileSync(resolve(ROOT, file), 'utf8'));
    return m ? m[1].replace(/\s+/g, ' ').trim() : null;
  };
  const app = statement(join(DIST, 'inquiries/inquiries.service.js'));
  const base = statement('bench/baseline-intake.mjs');
  if (!app || app !== base) {
    console.log('intake: WARNING the baseline\'s INSERT differs from the app\'s INSERT_SUBMISSION; copy it into bench/baseline-intake.mjs');
    return false;
  }
  return true;
}

async function main() {
  requireBuilt();
  const sameStatement = checkSameStatement();
  const redis = await privateRedis('bench-intake-redis');
  await Promise.all([recreateDatabase(APP_DB), recreateDatabase(BASELINE_DB), ...(INLINE ? [recreateDatabase(INLINE_DB)] : [])]);
  await migrate(databaseUrl(BASELINE_DB));
  await migrate(databaseUrl(APP_DB));
  if (INLINE) await migrate(databaseUrl(INLINE_DB));
  const nodeArgs = [...startFlags(), ...(process.env.APP_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  if (nodeArgs.length) console.log(`intake: app runs with node ${nodeArgs.join(' ')}`);
  const app = await startApi({ name: 'bench-intake-app', databaseUrl: databaseUrl(APP_DB), redisUrl: redis.url, nodeArgs });
  const basePort = await freePort();
  const baseline = await startProcess({
    name: 'bench-intake-baseline',
    command: process.execPath,
    args: [join(ROOT, 'bench/baseline-intake.mjs')],
    env: { PORT: String(basePort), DATABASE_URL: databaseUrl(BASELINE_DB), MAIL_DOMAIN: 'bench.localhost', APP_SECRET: 'bench-and-drill-secret-0123456789abcdef' },
    ready: () => httpOk(`http://127.0.0.1:${basePort}/health`),
  });
  const baseUrl = `http://127.0.0.1:${basePort}`;
  // The inline side: `npm start` as it ships (the same Node flags; WORKERS=inline), mail to a real SMTP server.
  const smtp = INLINE ? await startSmtpCounter() : null;
  const inline = INLINE
    ? await startApi({
        name: 'bench-intake-inline', databaseUrl: databaseUrl(INLINE_DB), redisUrl: redis.url, smtpUrl: smtp.url,
        prefix: 'policy-inbox-bench-inline', WORKERS: 'inline',
        nodeArgs: [...startFlags('start'), ...(process.env.APP_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      })
    : null;
  const inlineWorkerPid = inline ? await waitForChild(inline.pid) : null;
  const memory = memorySampler(app.pid);
  const inlineMemory = inline ? memorySampler(inline.pid) : null;
  const workerMemory = inline ? memorySampler(inlineWorkerPid) : null;
  const rounds = [];
  try {
    console.log(
      `intake: ${ROUNDS} rounds x ${SECONDS} s per side, ${CONNECTIONS} connections, app pid ${app.pid}` +
        (inline ? `, inline (npm start) pid ${inline.pid} with its worker process ${inlineWorkerPid}` : ''),
    );
    // Warm every side up (JIT, pools, caches) before anything is measured.
    await load(app.url, 3);
    await load(baseUrl, 3);
    if (inline) {
      await load(inline.url, 3);
      await drained(databaseUrl(INLINE_DB));
    }
    const sides = inline ? ['app', 'baseline', 'inline'] : ['app', 'baseline'];
    for (let i = 0; i < ROUNDS; i++) {
      // Rotate which side goes first, so a drift in machine load does not favour one.
      const order = sides.map((_, j) => sides[(i + j) % sides.length]);
      const round = {};
      for (const side of order) {
        const target = { app, baseline, inline }[side];
        const pid = target.pid;
        const cpu0 = cpuMs(pid);
        const workerCpu0 = side === 'inline' ? cpuMs(inlineWorkerPid) : 0;
        const sent0 = side === 'inline' ? await smtp.accepted() : 0;
        const result = await load(side === 'baseline' ? baseUrl : target.url, SECONDS);
        round[side] = summarise(result, cpuMs(pid) - cpu0);
        if (side === 'inline') {
          // Mail drained while the flood ran, what was left, and how long the drain took to catch up.
          const sentDuring = (await smtp.accepted()) - sent0;
          const [{ n: unsentAtEnd }] = await query(databaseUrl(INLINE_DB), UNSENT);
          const drainMs = await drained(databaseUrl(INLINE_DB));
          Object.assign(round.inline, {
            emailsSentDuring: sentDuring, unsentAtEnd, drainAfterMs: drainMs,
            workerCpuMs: cpuMs(inlineWorkerPid) - workerCpu0, workerRestarted: childOf(inline.pid) !== inlineWorkerPid,
          });
        }
      }
      round.ratio = round.app.reqPerSec / round.baseline.reqPerSec;
      if (inline) round.inlineRatio = round.inline.reqPerSec / round.app.reqPerSec;
      rounds.push(round);
      console.log(
        `  round ${i + 1}: app ${fmt(round.app.reqPerSec)} req/s p99 ${round.app.p99Ms} ms ${fmt(round.app.cpuMsPerRequest ?? 0, 2)} CPU-ms/req | ` +
          `baseline ${fmt(round.baseline.reqPerSec)} req/s p99 ${round.baseline.p99Ms} ms ${fmt(round.baseline.cpuMsPerRequest ?? 0, 2)} CPU-ms/req | ` +
          `ratio ${fmt(round.ratio, 2)} | load ${loadavg()[0].toFixed(1)}` +
          (round.app.non2xx + round.app.errors ? ` | app non-2xx ${round.app.non2xx}, errors ${round.app.errors}` : ''),
      );
      if (inline) {
        const r = round.inline;
        console.log(
          `           inline ${fmt(r.reqPerSec)} req/s p99 ${r.p99Ms} ms, ${r.emailsSentDuring} emails sent during, ${r.unsentAtEnd} unsent at the end, ` +
            `drained ${r.drainAfterMs === null ? 'NOT within 300 s' : `${fmt(r.drainAfterMs / 1000, 1)} s`} later | inline/off ${fmt(round.inlineRatio, 2)}` +
            (r.non2xx + r.errors ? ` | non-2xx ${r.non2xx}, errors ${r.errors}` : '') + (r.workerRestarted ? ' | WORKER RESTARTED' : ''),
        );
      }
    }
  } finally {
    memory.stop();
    inlineMemory?.stop();
    workerMemory?.stop();
    await app.stop('SIGTERM');
    await inline?.stop('SIGTERM', 30_000);
    await smtp?.stop();
    await baseline.stop('SIGTERM');
    await redis.stop();
    if (!process.env.BENCH_KEEP_DATABASES) await Promise.all([dropDatabase(APP_DB), dropDatabase(BASELINE_DB), dropDatabase(INLINE_DB)]);
  }

  const ratio = median(rounds.map((r) => r.ratio));
  const appRps = median(rounds.map((r) => r.app.reqPerSec));
  const baseRps = median(rounds.map((r) => r.baseline.reqPerSec));
  const appP99 = median(rounds.map((r) => r.app.p99Ms));
  const baseP99 = median(rounds.map((r) => r.baseline.p99Ms));
  const worstP99 = Math.max(...rounds.map((r) => r.app.p99Ms));
  const rssMb = Math.max(memory.peakRssMb, memory.hwmMb);
  const failures = rounds.reduce((n, r) => n + r.app.non2xx + r.app.errors, 0);
  const rows = [
    { benchmark: 'intake throughput (req/s)', ours: appRps, baseline: baseRps, ratio, target: `>= ${TARGET.ratio}x`, pass: ratio >= TARGET.ratio && failures === 0 },
    { benchmark: 'intake p99 at 32 conn (ms)', ours: appP99, baseline: baseP99, ratio: appP99 / baseP99, target: `<= ${TARGET.p99Ms} ms`, pass: appP99 <= TARGET.p99Ms },
    {
      benchmark: 'intake CPU per request (ms)',
      ours: median(rounds.map((r) => r.app.cpuMsPerRequest)),
      baseline: median(rounds.map((r) => r.baseline.cpuMsPerRequest)),
      ratio: median(rounds.map((r) => r.app.cpuMsPerRequest / r.baseline.cpuMsPerRequest)),
      target: '(info)',
      pass: true,
    },
    { benchmark: 'API peak RSS under intake (MB)', ours: rssMb, baseline: null, ratio: null, target: `<= ${TARGET.rssMb} MB`, pass: rssMb <= TARGET.rssMb },
  ];
  let inlineSummary = null;
  if (INLINE) {
    const inlineRatio = median(rounds.map((r) => r.inlineRatio));
    const inlineFailures = rounds.reduce((n, r) => n + r.inline.non2xx + r.inline.errors, 0);
    const drains = rounds.map((r) => r.inline.drainAfterMs);
    const apiRss = Math.max(inlineMemory.peakRssMb, inlineMemory.hwmMb);
    const workerRss = Math.max(workerMemory.peakRssMb, workerMemory.hwmMb);
    inlineSummary = { inlineRatio, apiRss, workerRss, drains };
    rows.push(
      {
        benchmark: 'npm start (workers inline, mail draining) intake (req/s)', ours: median(rounds.map((r) => r.inline.reqPerSec)),
        baseline: appRps, ratio: inlineRatio, target: `>= ${TARGET.inlineRatio}x`, pass: inlineRatio >= TARGET.inlineRatio && inlineFailures === 0,
      },
      { benchmark: 'npm start intake p99 at 32 conn (ms)', ours: median(rounds.map((r) => r.inline.p99Ms)), baseline: appP99, ratio: null, target: '(info)', pass: true },
      {
        benchmark: 'npm start: outbox empty again after a round (s)', ours: drains.includes(null) ? null : median(drains) / 1000, baseline: null, ratio: null,
        target: '<= 300 s', pass: !drains.includes(null),
      },
      { benchmark: 'npm start peak RSS, API process (MB)', ours: apiRss, baseline: null, ratio: null, target: `<= ${TARGET.rssMb} MB`, pass: apiRss <= TARGET.rssMb },
      { benchmark: 'npm start peak RSS, worker process (MB)', ours: workerRss, baseline: null, ratio: null, target: `<= ${TARGET.rssMb} MB`, pass: workerRss <= TARGET.rssMb },
    );
  }
  const file = writeResult('intake', { sameStatement, connections: CONNECTIONS, seconds: SECONDS, rounds, worstP99Ms: worstP99, appFailures: failures, rows });
  console.log(
    `intake: app ${fmt(appRps)} req/s vs baseline ${fmt(baseRps)} req/s, median ratio ${fmt(ratio, 2)} (target >= ${TARGET.ratio}); ` +
      `app p99 ${appP99} ms (median of rounds; worst ${worstP99} ms; target <= ${TARGET.p99Ms}); peak RSS ${fmt(rssMb)} MB (target <= ${TARGET.rssMb})` +
      (failures ? `; app answered ${failures} requests with non-2xx or errors` : ''),
  );
  if (inlineSummary) {
    console.log(
      `intake: npm start (inline) ${fmt(inlineSummary.inlineRatio, 2)}x WORKERS=off (median; target >= ${TARGET.inlineRatio}); outbox empty ` +
        `${inlineSummary.drains.map((d) => (d === null ? 'never' : `${fmt(d / 1000, 1)} s`)).join(', ')} after its rounds; ` +
        `peak RSS API ${fmt(inlineSummary.apiRss)} MB, worker ${fmt(inlineSummary.workerRss)} MB`,
    );
  }
  console.log(`intake: results in ${file}`);
  process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
}

main().catch((err) => {
  console.error(`intake benchmark failed: ${err.stack ?? err}`);
  process.exit(2);
});
