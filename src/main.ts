import 'reflect-metadata';
import { AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { prepare, Unreachable } from './database/preflight.js';

/** `npm start`: check config and dependencies, create and migrate the database, then serve (and run workers). */
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
  // The app (every module, TypeORM, Swagger) loads only once its dependencies are known to be there.
  const { createApp } = await import('./app.setup.js');
  const app = await createApp(config);
  const { Logger } = await import('@nestjs/common');
  const log = new Logger('Main');
  if (config.appSecretGenerated) log.warn('APP_SECRET is not set: using a random secret for this run; tokens and form links will not survive a restart.');
  if (prepared.redisPolicy && prepared.redisPolicy !== 'noeviction') {
    log.warn(`Redis maxmemory-policy is "${prepared.redisPolicy}"; set it to "noeviction" so queued jobs are never evicted.`);
  }
  await app.listen(config.port);
  log.log(`Policy Inbox listening on ${config.publicBaseUrl} (workers: ${config.workers}, ${prepared.migrations} migrations applied, ready in ${Date.now() - startedAt} ms)`);
}

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

main().catch((err) => {
  process.stderr.write(`Policy Inbox failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
