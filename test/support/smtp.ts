import { AddressObject, ParsedMail, simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerEnvelope, SMTPServerSession } from 'smtp-server';

/** One message the test SMTP server accepted, parsed. */
export interface ReceivedMessage {
  /** Envelope sender and recipients (MAIL FROM / RCPT TO). */
  envelope: { from: string | null; to: string[] };
  from: string;
  to: string[];
  cc: string[];
  replyTo: string[];
  subject: string;
  text: string;
  html: string | null;
  /** Header names in lower case; values as mailparser gives them (strings for most). */
  headers: Map<string, unknown>;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** The raw RFC 5322 source. */
  raw: string;
  receivedAt: Date;
}

/** What `respondWith` returns to make the server refuse a message; null accepts it. */
export type SmtpAnswer = { code: number; message?: string } | null;
/**
 * Decides the answer to the n-th DATA transaction (1-based, counting refused ones too).
 * `message` is the parsed message, so a test can refuse by Message-ID or kind.
 */
export type SmtpResponder = (envelope: ReceivedMessage['envelope'], n: number, message: ReceivedMessage) => SmtpAnswer;

export type MessageFilter =
  | ((message: ReceivedMessage) => boolean)
  | { reference?: string; kind?: string; to?: string; messageId?: string };

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 for e2e tests. No AUTH, no TLS.
 * `stop()` and `restart()` keep the port, so a test can take the server "down" and bring it back.
 */
export class TestSmtpServer {
  /** Every message accepted, in arrival order. */
  readonly messages: ReceivedMessage[] = [];
  /** DATA transactions seen, accepted or refused. */
  attempts = 0;
  /**
   * Wait this long after a message's final dot before answering (to keep sends in flight). Like a real
   * server, a message is kept once its data is in, even if the client is gone before it reads the 250.
   */
  answerDelayMs = 0;
  private server: SMTPServer | null = null;
  private responder: SmtpResponder | null = null;
  private waiters = new Set<() => void>();

  private constructor(public port: number) {}

  static async start(port = 0): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(port);
    await smtp.listen();
    return smtp;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** Answers every following message with what `fn` returns (null accepts); `respondWith(null)` resets. */
  respondWith(fn: SmtpResponder | null): void {
    this.responder = fn;
  }

  /** Accepted messages matching the filter. */
  find(filter: MessageFilter): ReceivedMessage[] {
    return this.messages.filter(toPredicate(filter));
  }

  /** Resolves with the first accepted message matching the filter (already here or arriving later). */
  waitFor(filter: MessageFilter, timeoutMs = 15_000): Promise<ReceivedMessage> {
    const predicate = toPredicate(filter);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(found);
        return true;
      };
      const waiter = () => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`No matching email within ${timeoutMs} ms (${this.messages.length} received): ${describe(filter)}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** Resolves once `count` accepted messages match the filter (default: any message). */
  async waitForCount(count: number, filter: MessageFilter = () => true, timeoutMs = 30_000): Promise<ReceivedMessage[]> {
    const predicate = toPredicate(filter);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.filter(predicate);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(`Expected ${count} matching emails within ${timeoutMs} ms, got ${found.length}: ${describe(filter)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Message-IDs that arrived more than once, with their counts. */
  duplicates(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) if (m.messageId) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    return new Map([...counts].filter(([, n]) => n > 1));
  }

  /** Takes the server down at once: stops listening and drops every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of (server as unknown as { connections: Set<{ _socket?: { destroy(): void } }> }).connections) {
      connection._socket?.destroy();
    }
    await closed;
  }

  /** Brings the server back on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  /** Stops the server for good. */
  async close(): Promise<void> {
    await this.stop();
    for (const waiter of this.waiters) waiter();
  }

  private listen(): Promise<void> {
    const server = new SMTPServer({
      disabledCommands: ['AUTH', 'STARTTLS'],
      authOptional: true,
      logger: false,
      closeTimeout: 100,
      size: 10 * 1024 * 1024,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', (err) => callback(err));
        stream.on('end', () => {
          void this.receive(Buffer.concat(chunks), session).then(
            (answer) => {
              if (!answer) return callback(null, 'OK: queued');
              const err = Object.assign(new Error(answer.message ?? `Refused with ${answer.code}`), { responseCode: answer.code });
              callback(err);
            },
            (err: Error) => callback(Object.assign(err, { responseCode: 451 })),
          );
        });
      },
    });
    server.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.server.off('error', reject);
        this.port = (server.server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private async receive(raw: Buffer, session: SMTPServerSession): Promise<SmtpAnswer> {
    const n = ++this.attempts;
    const message = toMessage(await simpleParser(raw), raw, session.envelope);
    const answer = this.responder ? this.responder(message.envelope, n, message) : null;
    if (!answer) {
      this.messages.push(message);
      for (const waiter of [...this.waiters]) waiter();
    }
    if (this.answerDelayMs > 0) await new Promise((r) => setTimeout(r, this.answerDelayMs));
    return answer;
  }
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((a) => a.value.map((v) => v.address ?? '')).filter(Boolean);
}

function toMessage(parsed: ParsedMail, raw: Buffer, envelope: SMTPServerEnvelope): ReceivedMessage {
  const refs = parsed.references;
  return {
    envelope: {
      from: envelope.mailFrom ? envelope.mailFrom.address : null,
      to: envelope.rcptTo.map((r) => r.address),
    },
    from: parsed.from?.value[0]?.address ?? '',
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : null,
    headers: parsed.headers as Map<string, unknown>,
    messageId: parsed.messageId ?? null,
    inReplyTo: parsed.inReplyTo ?? null,
    references: refs ? (Array.isArray(refs) ? refs : refs.split(/\s+/).filter(Boolean)) : [],
    raw: raw.toString('utf8'),
    receivedAt: new Date(),
  };
}

function header(message: ReceivedMessage, name: string): string | undefined {
  const value = message.headers.get(name);
  return value === undefined ? undefined : String(value);
}

function toPredicate(filter: MessageFilter): (message: ReceivedMessage) => boolean {
  if (typeof filter === 'function') return filter;
  return (m) =>
    (filter.reference === undefined || header(m, 'x-inquiry-reference') === filter.reference) &&
    (filter.kind === undefined || header(m, 'x-email-kind') === filter.kind) &&
    (filter.to === undefined ||
      m.to.some((a) => a.toLowerCase() === filter.to!.toLowerCase()) ||
      m.envelope.to.some((a) => a.toLowerCase() === filter.to!.toLowerCase())) &&
    (filter.messageId === undefined || m.messageId === filter.messageId);
}

function describe(filter: MessageFilter): string {
  return typeof filter === 'function' ? 'predicate' : JSON.stringify(filter);
}
