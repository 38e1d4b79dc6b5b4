// A drill's worker process: the built workers (dist/queue/worker-process.js, what `node dist/worker.js`
// runs) with mail timings shortened by DRILL_MAIL_TUNING (JSON, e.g. {"leaseMs":10000,"backoffMs":1000}),
// so a killed worker's rows come back in seconds rather than after the production lease of 5 minutes.
import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');
const dist = (p) => import(pathToFileURL(resolve(root, process.env.POLICY_INBOX_DIST ?? 'dist', p)).href);
const { loadConfig } = await dist('config/app-config.js');
const { prepare } = await dist('database/preflight.js');
const { startWorkers } = await dist('queue/worker-process.js');

const base = loadConfig();
const config = { ...base, mail: { ...base.mail, ...JSON.parse(process.env.DRILL_MAIL_TUNING ?? '{}') } };
await prepare(config);
await startWorkers(config);
process.stdout.write(`drill worker ready (pid ${process.pid}, lease ${config.mail.leaseMs} ms, backoff ${config.mail.backoffMs} ms)\n`);
