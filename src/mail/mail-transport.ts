import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { AppConfig } from '../config/app-config.js';
import type { RenderedEmail } from './mail-renderer.js';
import { SendWindow, SmtpSendError, SmtpSender } from './smtp-sender.js';

export interface Delivery {
  /** The SMTP server's answer (or where the embedded default wrote the file). */
  response: string;
}

/**
 * CRLF line ends (RFC 5322) in the .eml files as on the wire. The bodies are converted here; MailComposer
 * writes its own headers and encodings with CRLF already (cheaper than its `newline` stream over the whole message).
 */
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

function boundaryBase(messageId: string): string | undefined {
  const hex = messageId.replace(/@.*$/, '').replace(/[^0-9a-f]/gi, '');
  return hex.length >= 16 ? hex : undefined;
}

/** A rendered email as nodemailer's MailComposer options: the same message for SMTP and for the .eml files. */
function composerOptions(email: RenderedEmail) {
  return {
    from: email.from,
    to: email.to,
    replyTo: email.replyTo,
    subject: email.subject,
    text: crlf(email.text),
    html: email.html === undefined ? undefined : crlf(email.html),
    messageId: email.messageId,
    inReplyTo: email.inReplyTo,
    references: email.references,
    headers: email.headers,
    // The multipart boundary from the Message-ID's random uuid, unique per email and unknown to whoever wrote
    // the text inside it; nodemailer would otherwise draw fresh random bytes for every part.
    baseBoundary: boundaryBase(email.messageId),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** Options of the pooled SMTP transport; the benchmark's bare loop uses the same ones. */
export function smtpPoolOptions(url: string, maxConnections: number, leaseMs: number) {
  // The worker renews its claims while a send is in progress, so a send may outlast the lease: a server silent
  // for three leases (a minute in production, at least 10 s) counts as a dropped connection.
  const timeout = Math.max(10_000, Math.min(60_000, Math.floor(leaseMs * 3)));
  return {
    url,
    pool: true as const,
    maxConnections,
    maxMessages: 1_000,
    // BullMQ is the only retry layer: a message the pool cannot deliver fails back to the worker at once.
    maxRequeues: 0,
    connectionTimeout: Math.min(timeout, 10_000),
    greetingTimeout: Math.min(timeout, 10_000),
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/**
 * Sends rendered emails: nodemailer's pooled SMTP transport when SMTP_URL is set, otherwise the embedded
 * default, which writes each email as an .eml file under var/mail/ (one file per row, written atomically).
 *
 * The message is composed by nodemailer's MailComposer into one buffer before it asks the pool for a
 * connection: a connection then carries a finished message in a write or two instead of waiting on
 * composition chunk by chunk, and the file default writes the very bytes SMTP would have carried.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  private readonly log = new Logger('MailTransport');
  private readonly smtp?: SmtpSender;
  private readonly dir?: string;
  private dirReady?: Promise<unknown>;

  constructor(config: AppConfig) {
    if (config.smtpUrl) {
      this.smtp = new SmtpSender(smtpPoolOptions(config.smtpUrl, config.mail.maxConnections, config.mail.leaseMs));
    } else {
      this.dir = resolve(config.mailDir);
      this.log.log(`SMTP_URL is not set: emails are written as .eml files under ${this.dir}`);
    }
  }

  /**
   * `window`: the claim the email is sent under. Past its `sendBy` the message is not handed to a connection
   * (nor written) and the send fails with code `ELEASE`: another worker may own the row by then.
   */
  async send(email: RenderedEmail, window?: SendWindow): Promise<Delivery> {
    const mail = composerOptions(email);
    if (this.smtp) return { response: await this.smtp.send(mail, window) };
    const raw = await new MailComposer(mail).compile().build();
    if (window && Date.now() > window.sendBy) throw new SmtpSendError({ message: 'The claim lapsed before the email was written', code: 'ELEASE' });
    return { response: `written ${await this.write(email.messageId, raw)}` };
  }

  /** The claims' deadlines moved (a renewal): the SMTP thread learns them for the messages it has not sent yet. */
  leasesChanged(): void {
    this.smtp?.windowsChanged();
  }

  /** For a process that runs the mail worker: have the SMTP thread loaded before the first email. */
  warmUp(): void {
    this.smtp?.warmUp();
  }

  /** Tmp file then rename: a reader never sees half an email, and a second write of the same row replaces the first. */
  private async write(messageId: string, message: Buffer): Promise<string> {
    this.dirReady ??= mkdir(this.dir!, { recursive: true });
    await this.dirReady;
    const name = messageId.replace(/^<|>$/g, '').replace(/@.*$/, '').replace(/[^A-Za-z0-9-]/g, '_');
    const file = join(this.dir!, `${name}.eml`);
    const tmp = join(this.dir!, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, message);
    await rename(tmp, file);
    return file;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.smtp?.close();
  }
}
