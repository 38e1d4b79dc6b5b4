import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MailTuning } from '../src/config/app-config.js';
import { createTestApp, TestApp } from './support/app.js';
import { urlFor } from './support/database.js';
import { TestSmtpServer } from './support/smtp.js';

/**
 * Worker processes as `npm run start:worker` runs them, killed and doubled. They run from a private build of
 * src/ (not dist/, which other test runs and `npm start` rebuild), through a tiny entry that passes the
 * test's short timings to startWorkers().
 */
const ROOT = resolve(import.meta.dirname, '..');
const BUILD = join(ROOT, 'var', `test-workers-${process.pid}`);
const FAST_MAIL: MailTuning = { backoffMs: 200, maxAttempts: 12, relayPollMs: 200, leaseMs: 3_000, concurrency: 4, maxConnections: 2 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function buildWorkers(): void {
  rmSync(BUILD, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD, '--sourceMap', 'false'], {
    cwd: ROOT, encoding: 'utf8',
  });
  if (!existsSync(join(BUILD, 'queue', 'worker-process.js'))) throw new Error(`Could not build the workers:\n${tsc.stdout}${tsc.stderr}`);
  // What nest-cli.json copies as assets: the mail templates and the SMTP thread (plain JavaScript).
  cpSync(join(ROOT, 'src', 'mail', 'templates'), join(BUILD, 'mail', 'templates'), { recursive: true });
  cpSync(join(ROOT, 'src', 'mail', 'smtp-thread.mjs'), join(BUILD, 'mail', 'smtp-thread.mjs'));
  mkdirSync(BUILD, { recursive: true });
  writeFileSync(join(BUILD, 'test-worker.js'), `
import 'reflect-metadata';
import { loadConfig } from './config/app-config.js';
import { startWorkers } from './queue/worker-process.js';
await startWorkers(loadConfig(process.env, JSON.parse(process.env.TEST_CONFIG_OVERRIDES ?? '{}')));
process.stdout.write('ready\\n');
`);
}

class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private output = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(BUILD, 'test-worker.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('ready')) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`Worker did not start:\n${this.output}`);
      await sleep(50);
    }
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (signal !== 'SIGCONT') this.child.kill('SIGCONT'); // a stopped process would never handle SIGTERM
    this.child.kill(signal);
    await this.exited;
  }

  /** SIGSTOP or SIGCONT: the process (and its SMTP thread) stands still or goes on, as after a long pause. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child.kill(signal);
  }
}

describe('Worker processes', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    buildWorkers();
    smtp = await TestSmtpServer.start();
    // The API only writes rows; the worker processes relay, sweep and send.
    t = await createTestApp({ env: { WORKERS: 'off', SMTP_URL: smtp.url }, config: { mail: FAST_MAIL } });
  }, 180_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await t?.close();
    await smtp?.close();
    rmSync(BUILD, { recursive: true, force: true });
  });
  beforeEach(() => {
    smtp.messages.length = 0;
    smtp.answerDelayMs = 0;
  });

  const startWorker = async (mail: MailTuning = FAST_MAIL) => {
    const w = new WorkerProcess({
      DATABASE_URL: urlFor(t.databaseName),
      REDIS_URL: t.config.redisUrl,
      QUEUE_PREFIX: t.config.queuePrefix,
      SMTP_URL: smtp.url,
      TEST_CONFIG_OVERRIDES: JSON.stringify({ mail }),
    });
    workers.push(w);
    await w.ready();
    return w;
  };

  /** `count` notification emails, inserted as the outbox would hold them. */
  const queueEmails = async (count: number, label: string): Promise<string[]> => {
    const rows: { id: string }[] = await t.db.query(
      `INSERT INTO outbound_emails (id, kind, recipient, subject, message_id, payload)
       SELECT u, 'notification', 'officer' || n || '@example.org', $2 || ' ' || n, '<' || u || '@localhost>', jsonb_build_object('body', 'Email ' || n)
       FROM (SELECT gen_random_uuid() AS u, n FROM generate_series(1, $1::int) AS n) s
       RETURNING id`,
      [count, label],
    );
    return rows.map((r) => r.id);
  };
  const statuses = async (ids: string[]) =>
    Object.fromEntries(
      (await t.db.query(`SELECT status, count(*)::int AS n FROM outbound_emails WHERE id = ANY($1::uuid[]) GROUP BY status`, [ids]))
        .map((r: { status: string; n: number }) => [r.status, r.n]),
    ) as Record<string, number>;
  const allSent = async (ids: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while ((await statuses(ids)).sent !== ids.length) {
      if (Date.now() > deadline) throw new Error(`Not all sent: ${JSON.stringify(await statuses(ids))}`);
      await sleep(200);
    }
  };
  const copiesByMessageId = (ids: string[]) => {
    const wanted = new Set(ids.map((id) => `<${id}@localhost>`));
    const counts = new Map<string, number>();
    for (const m of smtp.messages) if (m.messageId && wanted.has(m.messageId)) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    return counts;
  };

  it('delivers every email after a worker is killed with SIGKILL mid-drain: its claims lapse, duplicates at most what the server had', async () => {
    smtp.answerDelayMs = 40;
    const ids = await queueEmails(200, 'Kill test');
    const first = await startWorker();
    await smtp.waitForCount(40, () => true, 60_000);
    await first.kill('SIGKILL');
    // What the dead worker held: claimed (`sending`) and never recorded as sent.
    const held: { id: string }[] = await t.db.query(`SELECT id FROM outbound_emails WHERE id = ANY($1::uuid[]) AND status = 'sending'`, [ids]);
    const inFlight = held.length;
    await sleep(200); // the server's answers to the dead worker's last messages
    const arrived = new Set(smtp.messages.map((m) => m.messageId));
    const [{ sent }] = await t.db.query(`SELECT count(*)::int AS sent FROM outbound_emails WHERE id = ANY($1::uuid[]) AND status = 'sent'`, [ids]);
    const atServer = arrived.size - sent;
    expect(arrived.size).toBeLessThan(200);

    smtp.answerDelayMs = 0;
    await startWorker();
    await allSent(ids, 90_000);
    const copies = copiesByMessageId(ids);
    expect(copies.size).toBe(200);
    const duplicates = [...copies.values()].filter((n) => n > 1).length;
    process.stdout.write(`SIGKILL mid-drain: ${arrived.size} of 200 at the server at the kill, ${inFlight} claimed, ${atServer} not recorded, ${duplicates} delivered twice\n`);
    expect(duplicates).toBeLessThanOrEqual(atServer);
    expect(inFlight).toBeLessThanOrEqual(FAST_MAIL.concurrency);
    expect(Math.max(...copies.values())).toBeLessThanOrEqual(2);
    // The dead worker's claims lapsed and the new worker claimed those rows again (a second attempt each).
    const reclaimed: { attempts: number }[] = await t.db.query(`SELECT attempts FROM outbound_emails WHERE id = ANY($1::uuid[])`, [held.map((h) => h.id)]);
    expect(reclaimed.every((r) => r.attempts === 2)).toBe(true);
  }, 180_000);

  it("a worker stopped past its lease sends none of its lapsed claims when it goes on, and its marks leave the other worker's results", async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    smtp.answerDelayMs = 1_000;
    const ids = await queueEmails(12, 'Stopped worker');
    const slow = await startWorker();
    await smtp.waitForCount(1, () => true, 30_000);
    slow.signal('SIGSTOP');
    await sleep(300); // whatever the stopped worker had already written reaches the server
    const atServer = new Set(smtp.messages.map((m) => m.messageId));
    const held: { id: string }[] = await t.db.query(`SELECT id FROM outbound_emails WHERE id = ANY($1::uuid[]) AND status = 'sending'`, [ids]);
    // More claims than messages at the server: some were waiting in the stopped worker's SMTP thread.
    expect(held.length).toBeGreaterThan(atServer.size);

    smtp.answerDelayMs = 0;
    await startWorker();
    await allSent(ids, 60_000);
    const results = await t.db.query(`SELECT id, attempts, smtp_response, sent_at, updated_at FROM outbound_emails WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids]);

    // The stopped worker goes on, finds its claims lapsed and taken, and stops for good (SIGTERM waits for its jobs).
    slow.signal('SIGCONT');
    await sleep(1_000);
    await slow.kill('SIGTERM');
    expect(await t.db.query(`SELECT id, attempts, smtp_response, sent_at, updated_at FROM outbound_emails WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids]))
      .toEqual(results);
    const copies = copiesByMessageId(ids);
    expect(copies.size).toBe(12);
    const twice = [...copies].filter(([, n]) => n > 1).map(([messageId]) => messageId);
    process.stdout.write(`SIGSTOP: ${held.length} claimed at the stop, ${atServer.size} at the server, ${twice.length} delivered twice\n`);
    // Only what the server already had at the stop can arrive twice.
    expect(twice.every((m) => atServer.has(m))).toBe(true);
    expect(Math.max(...copies.values())).toBeLessThanOrEqual(2);
    const reclaimed: { attempts: number }[] = await t.db.query(`SELECT attempts FROM outbound_emails WHERE id = ANY($1::uuid[])`, [held.map((h) => h.id)]);
    expect(reclaimed.every((r) => r.attempts >= 2)).toBe(true);
  }, 180_000);

  it('two worker processes drain 200 emails without a duplicate', async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await Promise.all([startWorker(), startWorker()]);
    const ids = await queueEmails(200, 'Two workers');
    await allSent(ids, 90_000);
    const copies = copiesByMessageId(ids);
    expect(copies.size).toBe(200);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbound_emails WHERE id = ANY($1::uuid[]) AND attempts <> 1`, [ids]);
    expect(n).toBe(0);
  }, 180_000);

  it('SIGTERM lets the sends in flight finish and be recorded, and hands the unclaimed jobs back, before the process exits', async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    smtp.answerDelayMs = 300;
    // Two claims at a time: the worker's other two jobs wait for a send slot, unclaimed.
    const w = await startWorker({ ...FAST_MAIL, claimsAhead: 2 });
    const ids = await queueEmails(40, 'SIGTERM test');
    await smtp.waitForCount(2, () => true, 30_000);
    await w.kill('SIGTERM');
    const after = await statuses(ids);
    // Nothing left half-done: every email is either sent or still pending for another worker.
    expect(after.sending ?? 0).toBe(0);
    expect(after.sent).toBe(copiesByMessageId(ids).size);
    expect(after.pending).toBeGreaterThan(0);
    // Another worker sends the rest, each once.
    smtp.answerDelayMs = 0;
    await startWorker();
    await allSent(ids, 60_000);
    expect(copiesByMessageId(ids).size).toBe(40);
    expect(smtp.duplicates().size).toBe(0);
  }, 120_000);
});
