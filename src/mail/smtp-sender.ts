import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** What a failed send reports: nodemailer's error fields, which say whether to retry (responseCode 5xx: no). */
export interface SmtpFailure {
  message: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

export class SmtpSendError extends Error {
  readonly code?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly command?: string;

  constructor(failure: SmtpFailure) {
    super(failure.message);
    this.name = 'SmtpSendError';
    Object.assign(this, {
      code: failure.code,
      responseCode: failure.responseCode,
      response: failure.response,
      command: failure.command,
    });
  }
}

type Reply = { type: 'sent'; id: number; response: string } | { type: 'error'; id: number; error: SmtpFailure };

/**
 * The claim a message is sent under: it must not be handed to an SMTP connection after `sendBy` (epoch ms,
 * this process's clock; 0 when the claim is lost). The owner moves it on renewal and calls `windowsChanged()`.
 */
export interface SendWindow {
  readonly sendBy: number;
}

/**
 * Sends finished messages through nodemailer's pooled SMTP transport running in a thread of its own
 * (smtp-thread.mjs). The thread is started on the first send and again after it dies; a send that was in
 * the thread when it died fails as a connection error would (the queue retries it; the row keeps its
 * Message-ID, so a message the server had already taken is recognisably the same one).
 */
export class SmtpSender {
  private thread?: Worker;
  private readonly pending = new Map<number, { resolve: (response: string) => void; reject: (err: Error) => void; window?: SendWindow }>();
  private nextId = 1;
  private closing?: Promise<void>;

  constructor(private readonly options: Record<string, unknown>) {}

  /**
   * `mail`: MailComposer's options (plain strings and objects: they are copied to the thread). With a
   * `window`, the thread hands the message to a connection only up to `window.sendBy`; later, the send fails
   * with code `ELEASE` and nothing reached the server.
   */
  send(mail: Record<string, unknown>, window?: SendWindow): Promise<string> {
    if (this.closing) return Promise.reject(new SmtpSendError({ message: 'The SMTP sender is shut down', code: 'ESHUTDOWN' }));
    const thread = this.thread ?? this.start();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, window });
      // Keeps the process alive while a send is in the thread, and only then.
      if (this.pending.size === 1) thread.ref();
      thread.postMessage({ type: 'send', id, mail, sendBy: window?.sendBy });
    });
  }

  /** Tells the thread the current `sendBy` of every message it holds under a window (one message for all). */
  windowsChanged(): void {
    if (!this.thread) return;
    const windows: [number, number][] = [];
    for (const [id, p] of this.pending) if (p.window) windows.push([id, p.window.sendBy]);
    if (windows.length) this.thread.postMessage({ type: 'windows', windows });
  }

  /** Starts the thread now rather than on the first send (a process that will send soon). */
  warmUp(): void {
    if (!this.thread && !this.closing) this.start();
  }

  /** Lets the sends in the thread finish (the pool closes once they are answered), then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const thread = this.thread;
      if (!thread) return;
      while (this.pending.size && this.thread === thread) await new Promise((r) => setTimeout(r, 20));
      if (this.thread !== thread) return;
      const exited = new Promise<void>((r) => thread.once('exit', () => r()));
      thread.postMessage({ type: 'close' });
      const timer = setTimeout(() => void thread.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private start(): Worker {
    const thread = new Worker(join(import.meta.dirname, 'smtp-thread.mjs'), { workerData: { options: this.options } });
    thread.unref();
    thread.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (!this.pending.size) thread.unref();
      if (reply.type === 'sent') waiting.resolve(reply.response);
      else waiting.reject(new SmtpSendError(reply.error));
    });
    const lost = (why: string) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        waiting.reject(new SmtpSendError({ message: `SMTP thread stopped: ${why}`, code: 'ETHREAD' }));
      }
    };
    thread.on('error', (err) => lost(err.message));
    thread.on('exit', (code) => lost(`exit code ${code}`));
    this.thread = thread;
    return thread;
  }
}
