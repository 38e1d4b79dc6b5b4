// Shared by the benchmarks and the fault drills: child processes (the built app, a private Redis, a private
// PostgreSQL cluster), databases, ports and result files. Plain JavaScript; the app is always the built dist/.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The built app. POLICY_INBOX_DIST points elsewhere (e.g. a snapshot, while others rebuild dist/). */
export const DIST = resolve(ROOT, process.env.POLICY_INBOX_DIST ?? 'dist');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The machine's PostgreSQL, where bench databases are created (BENCH_DATABASE_URL overrides). */
export const SERVER_URL =
  process.env.BENCH_DATABASE_URL ?? `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`;

export function databaseUrl(name, server = SERVER_URL) {
  const u = new URL(server);
  u.pathname = `/${name}`;
  return u.toString();
}

export function requireBuilt(...files) {
  for (const f of ['main.js', ...files.map((f) => f.replace(/^dist\//, ''))]) {
    if (!existsSync(join(DIST, f))) throw new Error(`${join(DIST, f)} is missing: run \`npm run build\` first`);
  }
}

export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Runs fn with a client on the server's `postgres` database. */
export async function withAdmin(fn, server = SERVER_URL) {
  const c = new pg.Client({ connectionString: server, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined); // a dropped connection fails the query in hand; it must not end the process
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function recreateDatabase(name, server = SERVER_URL) {
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  }, server);
}

export async function dropDatabase(name, server = SERVER_URL) {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`), server).catch(() => undefined);
}

/** Applies the app's migrations with the built migration code. */
export async function migrate(url) {
  const { migrate: run } = await import(join(DIST, 'database/preflight.js'));
  await run(url);
}

export async function query(url, sql, params = []) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((res, rej) => {
    const attempt = () => {
      const sock = createConnection({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        res();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) rej(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Every child this process started, so an abort still stops them. */
const children = new Set();
let exitHooked = false;
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!exitHooked) {
    exitHooked = true;
    const stopAll = () => {
      for (const c of children) c.kill('SIGKILL');
    };
    process.once('exit', stopAll);
    for (const sig of ['SIGINT', 'SIGTERM']) {
      process.once(sig, () => {
        stopAll();
        process.exit(130);
      });
    }
  }
  return child;
}

export function logDir(kind) {
  const dir = join(ROOT, 'var', kind, 'logs');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A child process whose output goes to a log file. `ready` is a function polled until it resolves truthy.
 * Returns { pid, child, stop(signal), exited, logFile }.
 */
export async function startProcess({ name, command, args, env, logKind = 'bench', ready, readyLine, readyTimeoutMs = 30_000, cwd = ROOT }) {
  const logFile = join(logDir(logKind), `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'w' });
  const child = track(spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  let seen = '';
  if (readyLine) {
    const watch = (chunk) => {
      seen = (seen + chunk).slice(-4096);
      if (seen.includes(readyLine)) child.stdout.off('data', watch);
    };
    child.stdout.on('data', watch);
    ready = async () => seen.includes(readyLine);
  }
  let exitInfo = null;
  const exited = new Promise((res) => child.once('exit', (code, signal) => res((exitInfo = { code, signal }))));
  const proc = {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    get running() {
      return exitInfo === null;
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (exitInfo) return exitInfo;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
    tail(lines = 20) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
  if (ready) {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exitInfo) throw new Error(`${name} exited during start-up (${JSON.stringify(exitInfo)}):\n${proc.tail()}`);
      if (await ready().catch(() => false)) break;
      if (Date.now() > deadline) {
        await proc.stop('SIGKILL');
        throw new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${proc.tail()}`);
      }
      await sleep(100);
    }
  }
  return proc;
}

export async function httpOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.ok;
}

/** The environment every spawned app process gets; `overrides` win. */
export function appEnv({ port, databaseUrl: db, redisUrl, smtpUrl, prefix, ...overrides }) {
  return {
    NODE_ENV: 'production',
    APP_SECRET: 'bench-and-drill-secret-0123456789abcdef',
    PORT: String(port ?? 0),
    DATABASE_URL: db,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix ?? 'policy-inbox-bench',
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
    WORKERS: 'off',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_IP_PER_HOUR: '100000000',
    RATE_LIMIT_EMAIL_PER_HOUR: '100000000',
    MAIL_DOMAIN: 'bench.localhost',
    ...overrides,
  };
}

/** `node dist/main.js` (the API, plus workers when WORKERS=inline), ready when /health answers 200. */
export async function startApi({ name = 'api', logKind = 'bench', nodeArgs = [], ...env }) {
  const port = env.port ?? (await freePort());
  const proc = await startProcess({
    name,
    logKind,
    command: process.execPath,
    args: [...nodeArgs, join(DIST, 'main.js')],
    env: appEnv({ ...env, port }),
    ready: () => httpOk(`http://127.0.0.1:${port}/health`),
    readyTimeoutMs: 60_000,
  });
  return Object.assign(proc, { port, url: `http://127.0.0.1:${port}` });
}

/**
 * The built queue workers in a process of their own (what `node dist/worker.js` runs), through
 * drill/support/worker.mjs so a drill can shorten the mail lease and backoff (`mailTuning`).
 */
export async function startWorker({ name = 'worker', logKind = 'drill', mailTuning = {}, ...env }) {
  return startProcess({
    name,
    logKind,
    command: process.execPath,
    args: [join(ROOT, 'drill/support/worker.mjs')],
    env: { ...appEnv({ ...env, port: 0 }), DRILL_MAIL_TUNING: JSON.stringify(mailTuning) },
    readyLine: 'drill worker ready',
    readyTimeoutMs: 60_000,
  });
}

/** A private, throwaway Redis: no RDB, no AOF. `kill()` then `start()` brings it back on the same port, empty. */
export async function privateRedis(name = 'redis', logKind = 'bench') {
  const port = await freePort();
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc: null,
    async start() {
      redis.proc = await startProcess({
        name: `${name}-${port}`,
        logKind,
        command: 'redis-server',
        args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
        ready: () => waitForPort(port, 200).then(() => true),
        readyTimeoutMs: 10_000,
      });
    },
    async kill() {
      await redis.proc?.stop('SIGKILL');
    },
    async stop() {
      await redis.proc?.stop('SIGTERM', 3_000);
    },
  };
  await redis.start();
  return redis;
}

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** PostgreSQL refuses to run as root; as root, its commands run as the `postgres` user. */
function pgCommand(bin, args, opts = {}) {
  const full = join(PG_BIN, bin);
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', full, ...args]] : [full, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

function pgCommandAsync(bin, args) {
  const full = join(PG_BIN, bin);
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', full, ...args]] : [full, args];
  return new Promise((res, rej) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('exit', (code) => (code === 0 ? res(out) : rej(new Error(`${bin} ${args.join(' ')} failed (${code}): ${out}`))));
  });
}

/**
 * A private PostgreSQL cluster in a temp folder (the machine's own server is never touched), trust auth,
 * superuser `root`. `restartImmediate()` is `pg_ctl restart -m immediate` (a crash and recovery).
 */
export async function privatePostgres() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'policy-inbox-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
    chmodSync(dir, 0o700);
  }
  pgCommand('initdb', ['-D', data, '-U', 'root', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`;
  const cluster = {
    port,
    dir,
    server: `postgres://root@127.0.0.1:${port}/postgres`,
    url: (name) => `postgres://root@127.0.0.1:${port}/${name}`,
    start() {
      pgCommand('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
    },
    /** Asynchronous, so the drill's load and SMTP server keep running meanwhile. */
    restartImmediate() {
      return pgCommandAsync('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-m', 'immediate', '-w', '-t', '60', 'restart']);
    },
    stop() {
      try {
        pgCommand('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
      } catch {
        // already stopped
      }
    },
    destroy() {
      cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}

/** Peak memory of a process, sampled from /proc: max VmRSS seen and the kernel's VmHWM (peak since start). */
export function memorySampler(pid, everyMs = 200) {
  let peakRssKb = 0;
  let hwmKb = 0;
  const read = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peakRssKb = Math.max(peakRssKb, rss);
      hwmKb = Math.max(hwmKb, hwm);
    } catch {
      // the process is gone
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    sample: read,
    get peakRssMb() {
      return peakRssKb / 1024;
    },
    get hwmMb() {
      return hwmKb / 1024;
    },
    stop() {
      clearInterval(timer);
      read();
    },
  };
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

/** Results of one benchmark script, read by `npm run bench` to print one table. */
export function writeResult(name, result) {
  const dir = join(ROOT, 'var', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ name, at: new Date().toISOString(), ...result }, null, 2)}\n`);
  return file;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
