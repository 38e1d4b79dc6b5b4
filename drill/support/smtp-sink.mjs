// The drills' SMTP server: smtp-server + mailparser in the drill process. Counts every accepted message by
// Message-ID and recipient (so a copy is a duplicate), can refuse (451 / 550), be slow, or be down.
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export class SmtpSink {
  /** `${messageId} ${recipient}` -> copies accepted */
  copies = new Map();
  accepted = 0;
  refused = 0;
  /** (recipient) => null to accept, or { code, message } to refuse at RCPT TO. */
  rcptAnswer = () => null;
  /** () => null to accept, or { code, message } to refuse after DATA. */
  dataAnswer = () => null;
  /** Milliseconds each DATA waits before it is answered (keeps sends in flight). */
  delayMs = 0;
  server = null;
  /** DATA transactions received and not yet answered. */
  answering = 0;
  /** Date.now() when the last message was accepted (counted), or 0. */
  lastAcceptedAt = 0;

  constructor(port) {
    this.port = port;
  }

  static async start(port = 0) {
    const sink = new SmtpSink(port);
    await sink.listen();
    return sink;
  }

  get url() {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Waits until no DATA transaction is being answered (a killed client's last messages are counted too). */
  async settled(timeoutMs = 5_000) {
    for (const deadline = Date.now() + timeoutMs; this.answering > 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Distinct messages received (by Message-ID and recipient). */
  get distinct() {
    return this.copies.size;
  }

  duplicates() {
    let n = 0;
    for (const c of this.copies.values()) n += c - 1;
    return n;
  }

  receivedIds() {
    return new Set([...this.copies.keys()].map((k) => k.split(' ')[0]));
  }

  /**
   * Down at once: stops listening and drops every connection. A message whose DATA is being answered at that
   * moment finishes first (up to `drainMs`), as a server shutting down would; without that its sender could
   * never learn it was accepted and would rightly send it again.
   */
  async stop({ drainMs = 2_000 } = {}) {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise((res) => server.close(() => res()));
    for (const deadline = Date.now() + drainMs; this.answering > 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 20)); // let the last answers reach their sockets
    for (const connection of server.connections ?? []) connection._socket?.destroy();
    await closed;
  }

  async restart() {
    await this.stop();
    await this.listen();
  }

  listen() {
    const server = new SMTPServer({
      disabledCommands: ['AUTH', 'STARTTLS'],
      authOptional: true,
      logger: false,
      closeTimeout: 100,
      size: 10 * 1024 * 1024,
      onRcptTo: (address, _session, callback) => {
        const answer = this.rcptAnswer(address.address.toLowerCase());
        if (!answer) return callback();
        this.refused++;
        callback(Object.assign(new Error(answer.message ?? `Refused with ${answer.code}`), { responseCode: answer.code }));
      },
      onData: (stream, session, done) => {
        this.answering++;
        const callback = (...args) => {
          this.answering--;
          done(...args);
        };
        const chunks = [];
        stream.on('data', (c) => chunks.push(c));
        stream.on('error', (err) => callback(err));
        stream.on('end', () => {
          const finish = async () => {
            if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
            const answer = this.dataAnswer();
            if (answer) {
              this.refused++;
              return callback(Object.assign(new Error(answer.message ?? `Refused with ${answer.code}`), { responseCode: answer.code }));
            }
            const parsed = await simpleParser(Buffer.concat(chunks), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
            const id = parsed.messageId ?? '(none)';
            for (const rcpt of session.envelope.rcptTo) {
              const key = `${id} ${rcpt.address.toLowerCase()}`;
              this.copies.set(key, (this.copies.get(key) ?? 0) + 1);
            }
            this.accepted++;
            this.lastAcceptedAt = Date.now();
            callback(null, 'OK: queued');
          };
          finish().catch((err) => callback(Object.assign(err, { responseCode: 451 })));
        });
      },
    });
    server.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.server.off('error', reject);
        this.port = server.server.address().port;
        this.server = server;
        resolve();
      });
    });
  }
}
