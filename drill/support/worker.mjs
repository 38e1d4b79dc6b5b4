// A drill's worker process: the built workers (dist/queue/worker-process.js, what `node dist/worker.js`
// runs) with the production mail settings. Drills never shorten the lease, the backoff or the relay poll (a
// drill that passes only with shortened timings proves nothing about production); DRILL_MAIL_TUNING (JSON)
// may change only how much a worker does at once, for bench:mail's BENCH_MAIL_TUNING experiments
// (e.g. {"concurrency":128}). The ready line names the timings the worker runs with.
import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');
const dist = (p) => import(pathToFileURL(resolve(root, process.env.POLICY_INBOX_DIST ?? 'dist', p)).href);
const { loadConfig } = await dist('config/app-config.js');
const { prepare } = await dist('database/preflight.js');
const { startWorkers } = await dist('queue/worker-process.js');

const THROUGHPUT_ONLY = ['concurrency', 'maxConnections', 'claimsAhead'];
const tuning = JSON.parse(process.env.DRILL_MAIL_TUNING ?? '{}');
const timing = Object.keys(tuning).filter((k) => !THROUGHPUT_ONLY.includes(k));
if (timing.length) {
  throw new Error(`DRILL_MAIL_TUNING may not change ${timing.join(', ')}: drills and benchmarks run with the production timings`);
}
const base = loadConfig();
const config = { ...base, mail: { ...base.mail, ...tuning } };
await prepare(config);
await startWorkers(config);
const m = config.mail;
process.stdout.write(
  `drill worker ready (pid ${process.pid}, lease ${m.leaseMs} ms, backoff ${m.backoffMs} ms, relay poll ${m.relayPollMs} ms, concurrency ${m.concurrency})\n`,
);
