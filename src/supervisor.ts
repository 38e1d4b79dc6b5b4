import type { INestApplicationContext } from '@nestjs/common';
import { ChildProcess, fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { EventLoopUtilization, performance } from 'node:perf_hooks';
import { AppConfig } from './config/app-config.js';

/**
 * `npm start` with WORKERS=inline: the HTTP app in this process, the queue workers (`dist/worker.js`, the
 * same code as `npm run start:worker`) in a child process at a lower OS priority. Under a flood the kernel
 * gives the CPU to intake first and the mail drain takes what is left, catching up once the flood is over;
 * both are still one command. A lower priority alone is not enough: the drain's work also lands in PostgreSQL,
 * Redis and the SMTP server, which run at normal priority. So this process also tells the child when intake
 * is busy (its event loop more than half used), and the child then runs one mail job at a time (a trickle,
 * so mail never stops) until intake is quiet again, when it goes back to full concurrency and catches up.
 * The child is restarted (with backoff) if it dies, stopped after the API has
 * drained on SIGTERM/SIGINT, and shuts itself down if this process disappears (its IPC channel closes).
 */

/** How much lower than the API the workers run (nice +10: about a tenth of a core's share when both want it). */
export const WORKER_NICENESS = 10;
/** Restart delays after the worker process dies: 1 s, doubling, at most 30 s; back to 1 s after 60 s alive. */
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;
/** How long the worker process may take to finish its sends in flight after SIGTERM before it is killed. */
const STOP_GRACE_MS = 25_000;

/** Set in the worker child's environment: it is supervised, at this niceness. */
export const SUPERVISED_ENV = 'POLICY_INBOX_SUPERVISED_NICE';
/** Intake is busy from this share of the API's event loop (sampled every 250 ms), quiet again below QUIET_ELU. */
const BUSY_ELU = 0.5;
const QUIET_ELU = 0.3;
const SAMPLE_MS = 250;
/** Quiet samples in a row before the drain goes back to full speed. */
const QUIET_SAMPLES = 4;
/** Mail jobs at a time while intake is busy. */
const TRICKLE_CONCURRENCY = 1;

/** What the supervisor tells the worker child over IPC. */
interface IntakeMessage {
  type: 'intake';
  busy: boolean;
}

interface Log {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export class WorkerSupervisor {
  private child?: ChildProcess;
  private stopping = false;
  private delayMs = RESTART_MIN_MS;
  private restartTimer?: NodeJS.Timeout;
  private startedAt = 0;
  /** Times the worker process was started (1 = never restarted). */
  starts = 0;
  /** Whether intake is busy now (the child runs a trickle of mail jobs meanwhile). */
  busy = false;
  private quietSamples = 0;
  private sampler?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig, private readonly log: Log, private readonly script = join(import.meta.dirname, 'worker.js')) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopping) return;
    this.starts++;
    this.startedAt = Date.now();
    const child = fork(this.script, [], {
      // Same Node flags as this process (heap cap, profiling); same settings, and this run's APP_SECRET even
      // when it was generated, so reply addresses and links signed by the workers verify in the API.
      execArgv: process.execArgv,
      env: { ...process.env, APP_SECRET: this.config.appSecret, WORKERS: 'inline', [SUPERVISED_ENV]: String(WORKER_NICENESS) },
      stdio: 'inherit',
      // A process group of its own: Ctrl-C reaches this process only, which stops the API first, then the workers.
      detached: true,
    });
    this.child = child;
    if (child.pid) lowerPriority(child.pid, WORKER_NICENESS);
    if (this.busy) this.tell(child);
    this.watchIntake();
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.delayMs = RESTART_MIN_MS;
      const delay = this.delayMs;
      this.delayMs = Math.min(this.delayMs * 2, RESTART_MAX_MS);
      this.log.error(`Queue workers (pid ${child.pid}) exited (${signal ?? `code ${code}`}); restarting them in ${delay / 1000} s`);
      this.restartTimer = setTimeout(() => this.start(), delay);
    });
    child.on('error', (err) => this.log.error(`Queue workers could not be started: ${err.message}`));
  }

  /** From now on a worker process that exits is not restarted. */
  holdRestarts(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.sampler);
  }

  /** Samples this process's event-loop use and tells the child when intake turns busy or quiet. */
  private watchIntake(): void {
    if (this.sampler) return;
    let last: EventLoopUtilization = performance.eventLoopUtilization();
    this.sampler = setInterval(() => {
      const now = performance.eventLoopUtilization();
      const used = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      if (!this.busy && used >= BUSY_ELU) {
        this.busy = true;
        this.quietSamples = 0;
      } else if (this.busy && used < QUIET_ELU) {
        if (++this.quietSamples < QUIET_SAMPLES) return;
        this.busy = false;
      } else {
        this.quietSamples = 0;
        return;
      }
      if (this.child) this.tell(this.child);
    }, SAMPLE_MS);
    this.sampler.unref();
  }

  private tell(child: ChildProcess): void {
    if (!child.connected) return;
    const message: IntakeMessage = { type: 'intake', busy: this.busy };
    child.send(message, (err) => void err);
  }

  /** SIGTERM to the worker process, then wait for it (killed after STOP_GRACE_MS). No restart afterwards. */
  async stop(): Promise<void> {
    this.holdRestarts();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.log.warn(`Queue workers (pid ${child.pid}) still running ${STOP_GRACE_MS / 1000} s after SIGTERM; killing them`);
      child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * SIGTERM/SIGINT with supervised workers: the API drains first (Nest's own shutdown hooks, which this joins),
 * then the worker process gets SIGTERM and is waited for, then this process exits.
 */
export function stopWorkersAfterApi(app: { close(): Promise<void> }, supervisor: WorkerSupervisor, log: Log): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // Nest's hook re-raises the signal once the app is closed; this listener, still there, keeps the process alive.
    if (stopping) return;
    stopping = true;
    supervisor.holdRestarts();
    log.log(`${signal}: closing the API, then the queue workers`);
    app.close()
      .catch((err: unknown) => log.error(`Closing the API failed: ${err instanceof Error ? err.message : String(err)}`))
      .then(() => supervisor.stop())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Lowers a process's priority. Linux keeps a nice value per thread and setPriority(pid) changes only the
 * main thread, so every thread already running is lowered too (threads started later inherit it).
 */
export function lowerPriority(pid: number, niceness: number): void {
  const tids = (() => {
    try {
      return readdirSync(`/proc/${pid}/task`).map(Number);
    } catch {
      return [pid];
    }
  })();
  for (const tid of tids) {
    try {
      if (getPriority(tid) < niceness) setPriority(tid, niceness);
    } catch {
      // the thread has ended, or the system does not allow it: the workers still run, at normal priority
    }
  }
}

/**
 * In the worker child: lower every thread of this process (V8's and libuv's started before the parent's
 * setPriority; worker threads started since), run a trickle of mail jobs while the supervisor says intake is
 * busy, and shut down cleanly when the supervisor goes away, even by SIGKILL, so no orphan keeps sending.
 * Does nothing in a worker process that nobody supervises.
 */
export async function superviseFromChild(app: INestApplicationContext): Promise<void> {
  const niceness = Number(process.env[SUPERVISED_ENV]);
  if (!process.send || !Number.isFinite(niceness)) return;
  lowerPriority(process.pid, niceness);
  const close = () => app.close();
  const { MailProcessor } = await import('./queue/mail.processor.js');
  const mail = app.get(MailProcessor, { strict: false });
  process.on('message', (message: IntakeMessage) => {
    if (message?.type === 'intake') mail.throttle(message.busy ? TRICKLE_CONCURRENCY : undefined);
  });
  let closing = false;
  process.on('disconnect', () => {
    if (closing) return;
    closing = true;
    process.stderr.write('Queue workers: the Policy Inbox process that started them is gone; stopping\n');
    const force = setTimeout(() => process.exit(1), STOP_GRACE_MS);
    force.unref();
    close().then(() => process.exit(0), () => process.exit(1));
  });
}
