import { AppConfig, ConfigError, loadConfig } from '../config/app-config.js';
import { prepare, Unreachable } from './preflight.js';

export interface Booted {
  config: AppConfig;
  startedAt: number;
  prepared: Awaited<ReturnType<typeof prepare>>;
  /** Warnings every entry point logs once its logger exists (random APP_SECRET, Redis eviction policy). */
  warnings: string[];
}

/**
 * What every entry point does first: read and check the configuration, reach PostgreSQL and Redis (within
 * 10 s), create and migrate the database. A problem ends the process with one clear line on stderr.
 */
export async function boot(): Promise<Booted> {
  const startedAt = Date.now();
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const deadline = setTimeout(() => fail('Start-up took longer than 10 s waiting for PostgreSQL or Redis. Check DATABASE_URL and REDIS_URL, or run: docker compose up -d postgres redis'), 10_000);
  let prepared: Booted['prepared'];
  try {
    prepared = await prepare(config);
  } catch (err) {
    if (err instanceof Unreachable) fail(err.message);
    throw err;
  }
  clearTimeout(deadline);
  const warnings: string[] = [];
  if (config.appSecretGenerated) warnings.push('APP_SECRET is not set: using a random secret for this run; tokens and form links will not survive a restart.');
  if (prepared.redisPolicy && prepared.redisPolicy !== 'noeviction') {
    warnings.push(`Redis maxmemory-policy is "${prepared.redisPolicy}"; set it to "noeviction" so queued jobs are never evicted.`);
  }
  return { config, startedAt, prepared, warnings };
}

export function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

/** Runs an entry point; an unexpected error at start ends the process with its stack. */
export function run(what: string, main: () => Promise<void>): void {
  main().catch((err) => fail(`${what} failed to start: ${err instanceof Error ? err.stack : String(err)}`));
}
