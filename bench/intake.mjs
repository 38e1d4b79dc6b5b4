// `npm run bench:intake`: POST /api/inquiries at 32 connections, the built app (WORKERS=off) against the raw
// baseline in bench/baseline-intake.mjs, runs interleaved A/B; throughput, p99, the median ratio and the
// app's peak RSS. Targets (SPEC §7): throughput >= 0.7x baseline, p99 <= 100 ms, RSS <= 300 MB.
// Env: BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (32), APP_NODE_ARGS (e.g. --cpu-prof).
import autocannon from 'autocannon';
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
const TARGET = { ratio: 0.7, p99Ms: 100, rssMb: 300 };

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

/** Node flags of `npm run start:api` (e.g. a heap cap), so the app is measured as it is run. */
function startFlags() {
  const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts?.['start:api'] ?? '';
  return script.match(/--max[-_]old[-_]space[-_]size=\d+|--max[-_]semi[-_]space[-_]size=\d+/g) ?? [];
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
  await Promise.all([recreateDatabase(APP_DB), recreateDatabase(BASELINE_DB)]);
  await migrate(databaseUrl(BASELINE_DB));
  await migrate(databaseUrl(APP_DB));
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
  const memory = memorySampler(app.pid);
  const rounds = [];
  try {
    console.log(`intake: ${ROUNDS} rounds x ${SECONDS} s per side, ${CONNECTIONS} connections, app pid ${app.pid}`);
    // Warm both up (JIT, pools, caches) before anything is measured.
    await load(app.url, 3);
    await load(baseUrl, 3);
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which side goes first, so a drift in machine load does not favour one.
      const order = i % 2 === 0 ? ['app', 'baseline'] : ['baseline', 'app'];
      const round = {};
      for (const side of order) {
        const pid = side === 'app' ? app.pid : baseline.pid;
        const cpu0 = cpuMs(pid);
        const result = await load(side === 'app' ? app.url : baseUrl, SECONDS);
        round[side] = summarise(result, cpuMs(pid) - cpu0);
      }
      round.ratio = round.app.reqPerSec / round.baseline.reqPerSec;
      rounds.push(round);
      console.log(
        `  round ${i + 1}: app ${fmt(round.app.reqPerSec)} req/s p99 ${round.app.p99Ms} ms ${fmt(round.app.cpuMsPerRequest ?? 0, 2)} CPU-ms/req | ` +
          `baseline ${fmt(round.baseline.reqPerSec)} req/s p99 ${round.baseline.p99Ms} ms ${fmt(round.baseline.cpuMsPerRequest ?? 0, 2)} CPU-ms/req | ` +
          `ratio ${fmt(round.ratio, 2)} | load ${loadavg()[0].toFixed(1)}` +
          (round.app.non2xx + round.app.errors ? ` | app non-2xx ${round.app.non2xx}, errors ${round.app.errors}` : ''),
      );
    }
  } finally {
    memory.stop();
    await app.stop('SIGTERM');
    await baseline.stop('SIGTERM');
    await redis.stop();
    if (!process.env.BENCH_KEEP_DATABASES) await Promise.all([dropDatabase(APP_DB), dropDatabase(BASELINE_DB)]);
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
  const file = writeResult('intake', { sameStatement, connections: CONNECTIONS, seconds: SECONDS, rounds, worstP99Ms: worstP99, appFailures: failures, rows });
  console.log(
    `intake: app ${fmt(appRps)} req/s vs baseline ${fmt(baseRps)} req/s, median ratio ${fmt(ratio, 2)} (target >= ${TARGET.ratio}); ` +
      `app p99 ${appP99} ms (median of rounds; worst ${worstP99} ms; target <= ${TARGET.p99Ms}); peak RSS ${fmt(rssMb)} MB (target <= ${TARGET.rssMb})` +
      (failures ? `; app answered ${failures} requests with non-2xx or errors` : ''),
  );
  console.log(`intake: results in ${file}`);
  process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
}

main().catch((err) => {
  console.error(`intake benchmark failed: ${err.stack ?? err}`);
  process.exit(2);
});
