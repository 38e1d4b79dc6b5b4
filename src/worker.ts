import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { prepare, Unreachable } from './database/preflight.js';
import { startWorkers } from './queue/worker-process.js';

/** `npm run start:worker`: the queue workers without HTTP; any number may run beside the API processes. */
async function main(): Promise<void> {
  const startedAt = Date.now();
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const deadline = setTimeout(() => fail('Start-up took longer than 10 s waiting for PostgreSQL or Redis. Check DATABASE_URL and REDIS_URL, or run: docker compose up -d postgres redis'), 10_000);
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(config);
  } catch (err) {
    if (err instanceof Unreachable) fail(err.message);
    throw err;
  }
  clearTimeout(deadline);
  await startWorkers(config);
  const log = new Logger('Worker');
  if (prepared.redisPolicy && prepared.redisPolicy !== 'noeviction') {
    log.warn(`Redis maxmemory-policy is "${prepared.redisPolicy}"; set it to "noeviction" so queued jobs are never evicted.`);
  }
  log.log(`Policy Inbox workers running (concurrency ${config.mail.concurrency}, ${config.smtpUrl ? 'SMTP' : `.eml files in ${config.mailDir}`}, ready in ${Date.now() - startedAt} ms)`);
}

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

main().catch((err) => {
  process.stderr.write(`Policy Inbox workers failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
