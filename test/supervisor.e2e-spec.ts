import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearRedisPrefix, REDIS_URL } from './support/app.js';
import { createTestDatabase, dropTestDatabase, urlFor } from './support/database.js';
import { sparePort } from './support/private-redis.js';
import { TestSmtpServer } from './support/smtp.js';

// `npm start` with WORKERS=inline (SPEC §2, §7): the API in one process, the queue workers in a child at a
// lower priority that the API process supervises. These run the built app (`node dist/main.js`), as npm start does.

const ROOT = join(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The processes a process started (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Started {
  child: ChildProcess;
  pid: number;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('npm start supervises its queue workers (WORKERS=inline)', () => {
  let smtp: TestSmtpServer;
  let databaseName: string;
  let prefix: string;
  const started: Started[] = [];
  const workerPids = new Set<number>();

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'start.js'), '--build-only'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    smtp = await TestSmtpServer.start();
  }, 180_000);

  beforeEach(async () => {
    databaseName = await createTestDatabase();
    prefix = `pi-test-${randomBytes(4).toString('hex')}`;
  });

  afterEach(async () => {
    for (const s of started.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    for (const pid of workerPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    workerPids.clear();
    await clearRedisPrefix(REDIS_URL, prefix);
    await dropTestDatabase(databaseName);
  });

  afterAll(async () => {
    await smtp?.close();
  });

  async function start(): Promise<Started> {
    const port = await sparePort();
    const child = spawn(process.execPath, ['--max-old-space-size=160', join(ROOT, 'dist', 'main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        PORT: String(port),
        DATABASE_URL: urlFor(databaseName),
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        SMTP_URL: smtp.url,
        WORKERS: 'inline',
        RATE_LIMIT_IP_PER_HOUR: '1000',
        RATE_LIMIT_EMAIL_PER_HOUR: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const s: Started = { child, pid: child.pid!, url: `http://127.0.0.1:${port}`, output: () => out, exited };
    started.push(s);
    await until('the workers to be running', () => out.includes('Policy Inbox workers running'), 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${out.slice(-3000)}`);
    });
    expect(out).toContain('Policy Inbox listening on');
    return s;
  }

  async function workerOf(s: Started): Promise<number> {
    const [pid] = await until('a worker process', () => {
      const kids = childrenOf(s.pid);
      return kids.length ? kids : undefined;
    });
    workerPids.add(pid);
    return pid;
  }

  async function submit(s: Started, n: number): Promise<string> {
    const res = await fetch(`${s.url}/api/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `Supervised ${n}`,
        email: `supervised.${prefix}.${n}@example.org`,
        enquirerType: 'public',
        topic: 'waiting-times',
        subject: `Supervisor question ${n}`,
        message: 'Does a question accepted just before a restart still reach the team?',
        consent: true,
      }),
    });
    const body = (await res.json()) as { reference: string };
    expect(res.status).toBe(201);
    return body.reference;
  }

  it('runs the workers in a child process at a lower priority, and restarts them when they die', async () => {
    const s = await start();
    const first = await workerOf(s);
    expect(niceOf(first)).toBeGreaterThan(niceOf(s.pid));

    const before = await submit(s, 1);
    await smtp.waitForCount(2, { reference: before });

    process.kill(first, 'SIGKILL');
    const second = await until('a restarted worker process', () => {
      const kids = childrenOf(s.pid).filter((p) => p !== first);
      return kids.length ? kids[0] : undefined;
    }, 20_000);
    workerPids.add(second);
    expect(s.output()).toMatch(/Queue workers \(pid \d+\) exited \(SIGKILL\); restarting them/);
    expect(niceOf(second)).toBeGreaterThan(niceOf(s.pid));

    // The API never went away, and the new worker sends what comes in now.
    const after = await submit(s, 2);
    await smtp.waitForCount(2, { reference: after }, 30_000);
    expect(alive(s.pid)).toBe(true);
  }, 120_000);

  it('stops cleanly on SIGTERM, API first, and an inquiry accepted just before still gets its emails', async () => {
    const s = await start();
    const worker = await workerOf(s);
    const reference = await submit(s, 3);
    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    expect(code).toBe(0);
    expect(alive(worker)).toBe(false);
    const out = s.output();
    expect(out.indexOf('SIGTERM: closing the API, then the queue workers')).toBeGreaterThan(-1);
    expect(out).not.toMatch(/restarting them/);

    // Sent before the stop, or by the next start: never lost, never twice.
    if (smtp.find({ reference }).length < 2) {
      const again = await start();
      await workerOf(again);
      await smtp.waitForCount(2, { reference }, 30_000);
      again.child.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
    }
    expect(smtp.find({ reference })).toHaveLength(2);
    expect(smtp.duplicates().size).toBe(0);
  }, 120_000);

  it('leaves no orphan worker when the API process is killed outright', async () => {
    const s = await start();
    const worker = await workerOf(s);
    s.child.kill('SIGKILL');
    await s.exited;
    await until('the orphaned worker to stop', () => !alive(worker), 30_000);
  }, 120_000);
});
