import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/app-config.js';

const ROOT = join(import.meta.dirname, '..');

/** Runs `node dist/main.js` (built first if needed, not counted) and collects how it ends. */
function start(env: Record<string, string>, deadlineMs = 10_000): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, timedOut });
    });
  });
}

describe('npm start', () => {
  beforeAll(() => {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'start.js'), '--build-only'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  }, 180_000);

  it('exits non-zero within 10 s with one clear line when PostgreSQL cannot be reached', async () => {
    const { code, stderr, timedOut } = await start({ DATABASE_URL: 'postgres://root@127.0.0.1:1/policy_inbox' });
    expect(timedOut).toBe(false);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('PostgreSQL at 127.0.0.1:1');
    expect(stderr).toContain('DATABASE_URL');
    expect(stderr).toContain('docker compose up -d postgres redis');
  });

  it('exits with a clear line when Redis cannot be reached', async () => {
    const { code, stderr, timedOut } = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(timedOut).toBe(false);
    expect(code).not.toBe(0);
    expect(stderr).toContain('Redis at 127.0.0.1:1');
    expect(stderr).toContain('REDIS_URL');
    expect(stderr).toContain('docker compose up -d postgres redis');
  });

  it('stops on a bad setting, naming the variable', async () => {
    const { code, stderr } = await start({ PORT: 'eighty' });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^Invalid configuration: PORT/);
  });
});

describe('configuration', () => {
  it('has the SPEC §2 defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000, redisUrl: 'redis://127.0.0.1:6379', queuePrefix: 'policy-inbox', smtpUrl: undefined,
      mailFrom: 'Policy team <policy@localhost>', mailDomain: 'localhost', teamInbox: 'policy-team@localhost',
      publicBaseUrl: 'http://localhost:3000', workers: 'inline', retentionMonths: 24, rateLimitIpPerHour: 10,
      rateLimitEmailPerHour: 5, appSecretGenerated: true,
    });
    expect(c.databaseUrl).toMatch(/^postgres:\/\/[^@]+@127\.0\.0\.1:5432\/policy_inbox$/);
  });

  it.each([
    ['PORT', '70000'], ['DATABASE_URL', 'mysql://x'], ['REDIS_URL', 'http://x'], ['WORKERS', 'sometimes'],
    ['SMTP_URL', 'ftp://x'], ['MAIL_DOMAIN', 'bad domain'], ['TEAM_INBOX', 'nobody'], ['RETENTION_MONTHS', '0'],
    ['RATE_LIMIT_IP_PER_HOUR', 'many'], ['PUBLIC_BASE_URL', 'localhost:3000'], ['APP_SECRET', 'short'],
    ['MAIL_FROM', 'a\nb'], ['INBOUND_SMTP_PORT', '-1'],
  ])('refuses a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name}`));
  });

  it('requires APP_SECRET in production, and both admin variables or neither', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/APP_SECRET/);
    expect(() => loadConfig({ ADMIN_EMAIL: 'lead@example.org' })).toThrow(ConfigError);
  });
});
