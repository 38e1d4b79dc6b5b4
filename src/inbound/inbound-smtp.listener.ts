import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { AppConfig } from '../config/app-config.js';
import { InboundStore } from './inbound-store.js';
import { MAX_INBOUND_BYTES } from './inbound-message.js';

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/**
 * The SMTP door (INBOUND_SMTP_PORT; off when unset). It takes mail for any address at MAIL_DOMAIN and refuses
 * every other recipient with 550, so it is never an open relay; a message is answered 250 only once stored.
 */
@Injectable()
export class InboundSmtpListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('InboundSmtp');
  private server?: SMTPServer;

  constructor(
    private readonly config: AppConfig,
    private readonly store: InboundStore,
  ) {}

  /** The port it listens on (useful when INBOUND_SMTP_PORT=0 picks a free one), or null when off. */
  get port(): number | null {
    const address = this.server?.server.address() as AddressInfo | null | undefined;
    return address?.port ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.inboundSmtpPort === undefined) return;
    const domain = this.config.mailDomain.toLowerCase();
    const server = new SMTPServer({
      name: this.config.mailDomain,
      banner: 'Policy Inbox',
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: MAX_INBOUND_BYTES,
      onRcptTo: (address, _session, callback) => {
        const at = address.address.lastIndexOf('@');
        if (at > 0 && address.address.slice(at + 1).toLowerCase() === domain) return callback();
        callback(smtpError(550, '5.7.1 Relaying denied: this server only accepts mail for its own domain'));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', (err) => callback(err));
        stream.on('end', () => {
          if ((stream as typeof stream & { sizeExceeded?: boolean }).sizeExceeded) {
            return callback(smtpError(552, '5.3.4 Message too big'));
          }
          const recipients = session.envelope.rcptTo.map((r) => r.address);
          this.store.store(Buffer.concat(chunks), 'smtp', recipients).then(
            () => callback(),
            (err: Error) => {
              this.log.error(`Could not store an inbound message: ${err.message}`);
              callback(smtpError(451, '4.3.0 Temporary failure, please retry'));
            },
          );
        });
      },
    });
    server.on('error', (err) => this.log.warn(`SMTP listener error: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.config.inboundSmtpPort, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.log.log(`Inbound SMTP listening on port ${this.port} for @${this.config.mailDomain}`);
  }

  /** Stops taking mail first, while messages in flight can still be stored. */
  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
