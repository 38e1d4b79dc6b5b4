// `npm run bench:feedback`: page feedback (SPEC §11) at 32 connections against the built app (WORKERS=off):
// GET /api/pages/rating of one page, and POST /api/pages/ratings of new votes (a fresh visitor id each) on one
// popular page — the worst case, since a page's votes take turns on its roll-up row. Throughput and p99.
// There is no raw baseline for these (SPEC §7 names none), so no ratio: the targets are absolute and generous
// against the need ("a popular page can take thousands of votes an hour", about one a second):
// votes >= 200/s on one page and p99 <= 100 ms for both.
// Env: BENCH_SECONDS (10), BENCH_CONNECTIONS (32).
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { databaseUrl, dropDatabase, migrate, privateRedis, recreateDatabase, requireBuilt, startApi, writeResult } from './support/harness.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DB = 'policy_inbox_bench_feedback';
const SITE = 'https://www.charity.example';
const PAGE = `${SITE}/about-cancer/cancer-services-in-england`;
const TARGET = { votesPerSec: 200, p99Ms: 100 };

function load(options, seconds) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: seconds, timeout: 10, ...options }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const summarise = (result, status) => {
  const ok = Number(result.statusCodeStats?.[status]?.count ?? 0);
  return { reqPerSec: ok / result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99, ok, non2xx: result.non2xx, errors: result.errors };
};

const readRating = (url) => ({ url: `${url}/api/pages/rating?url=${encodeURIComponent(PAGE)}` });
const castVotes = (url) => ({
  url: `${url}/api/pages/ratings`,
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ url: PAGE, rating: 1 + Math.floor(Math.random() * 5), visitorId: randomBytes(12).toString('base64url') }) }),
  }],
});

async function main() {
  requireBuilt();
  const redis = await privateRedis('bench-feedback-redis');
  await recreateDatabase(DB);
  await migrate(databaseUrl(DB));
  const app = await startApi({ name: 'bench-feedback-app', databaseUrl: databaseUrl(DB), redisUrl: redis.url, FEEDBACK_SITES: SITE });
  let get;
  let post;
  try {
    console.log(`feedback: ${SECONDS} s per side, ${CONNECTIONS} connections, app pid ${app.pid}`);
    await load(castVotes(app.url), 2); // warm up, and give the page votes to read
    await load(readRating(app.url), 2);
    post = summarise(await load(castVotes(app.url), SECONDS), '201');
    get = summarise(await load(readRating(app.url), SECONDS), '200');
  } finally {
    await app.stop('SIGTERM');
    await redis.stop();
    if (!process.env.BENCH_KEEP_DATABASES) await dropDatabase(DB);
  }
  const rows = [
    { benchmark: 'feedback GET rating (req/s)', ours: get.reqPerSec, baseline: null, ratio: null, target: '(info)', pass: get.non2xx + get.errors === 0 },
    { benchmark: 'feedback GET rating p99 (ms)', ours: get.p99Ms, baseline: null, ratio: null, target: `<= ${TARGET.p99Ms} ms`, pass: get.p99Ms <= TARGET.p99Ms },
    { benchmark: 'feedback POST votes, one page (req/s)', ours: post.reqPerSec, baseline: null, ratio: null, target: `>= ${TARGET.votesPerSec}/s`, pass: post.reqPerSec >= TARGET.votesPerSec && post.non2xx + post.errors === 0 },
    { benchmark: 'feedback POST votes p99 (ms)', ours: post.p99Ms, baseline: null, ratio: null, target: `<= ${TARGET.p99Ms} ms`, pass: post.p99Ms <= TARGET.p99Ms },
  ];
  const file = writeResult('feedback', { connections: CONNECTIONS, seconds: SECONDS, get, post, rows });
  console.log(`feedback: GET rating ${get.reqPerSec.toFixed(0)} req/s p99 ${get.p99Ms} ms; POST votes ${post.reqPerSec.toFixed(0)} req/s p99 ${post.p99Ms} ms` +
    (get.non2xx + post.non2xx + get.errors + post.errors ? ` (non-2xx/errors: GET ${get.non2xx}/${get.errors}, POST ${post.non2xx}/${post.errors})` : ''));
  console.log(`feedback: results in ${file}`);
  process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
}

main().catch((err) => {
  console.error(`feedback benchmark failed: ${err.stack ?? err}`);
  process.exit(2);
});
