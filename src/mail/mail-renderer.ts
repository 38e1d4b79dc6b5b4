import { Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { AppConfig } from '../config/app-config.js';

/** Where `<kind>.text.njk` and `<kind>.html.njk` live (copied next to the compiled code by nest-cli.json). */
export const TEMPLATES_DIR = join(import.meta.dirname, 'templates');

/** An outbound_emails row with what its templates need, as the delivery ledger loads it (camelCase keys). */
export interface EmailToRender {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  replyTo: string | null;
  payload: Record<string, unknown>;
  /** The inquiry the email is about, or null. */
  inquiry: Record<string, unknown> | null;
  /** That inquiry's topic, or null. */
  topic: Record<string, unknown> | null;
  [column: string]: unknown;
}

export interface Address {
  name?: string;
  address: string;
}

/** A rendered email: everything the transport needs, nothing it has to decide. */
export interface RenderedEmail {
  from: string;
  to: string;
  replyTo?: Address;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  /** The product's own headers: X-Email-Kind and, for an email about an inquiry, X-Inquiry-Reference. */
  headers: Record<string, string>;
}

const longDate = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London',
});
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/London' });

/** `2026-12-08` or an ISO timestamp → "Tuesday 8 December 2026" (dates are calendar days, read at noon UTC). */
function formatLongDate(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const s = String(value);
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T12:00:00Z`) : new Date(s);
  return Number.isNaN(d.getTime()) ? s : longDate.format(d).replace(',', '');
}

function formatDateTime(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const d = new Date(String(value));
  return Number.isNaN(d.getTime()) ? String(value) : dateTime.format(d);
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

/**
 * Turns an outbox row into an email (SPEC §4), from template files; knows nothing of delivery.
 * A kind without templates of its own falls back to `generic.*`, which shows `payload.body` and `payload.link`.
 */
@Injectable()
export class MailRenderer {
  private readonly text: nunjucks.Environment;
  private readonly html: nunjucks.Environment;
  private readonly exists = new Map<string, boolean>();

  constructor(private readonly config: AppConfig) {
    const loader = () => new nunjucks.FileSystemLoader(TEMPLATES_DIR, { noCache: false });
    // Text parts are not HTML: escaping would turn "&" into "&amp;" in front of the reader.
    this.text = new nunjucks.Environment(loader(), { autoescape: false, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
    // Everything a person typed is escaped in HTML parts; only `| safe` in a template opts out.
    this.html = new nunjucks.Environment(loader(), { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
    for (const env of [this.text, this.html]) {
      env.addFilter('longDate', formatLongDate);
      env.addFilter('dateTime', formatDateTime);
      env.addFilter('humanize', (v: unknown) => String(v ?? '').replace(/[_-]+/g, ' '));
    }
  }

  render(email: EmailToRender): RenderedEmail {
    const context = {
      email,
      inquiry: email.inquiry,
      topic: email.topic,
      payload: email.payload ?? {},
      config: {
        publicBaseUrl: this.config.publicBaseUrl,
        mailDomain: this.config.mailDomain,
        mailFrom: this.config.mailFrom,
        teamInbox: this.config.teamInbox,
      },
    };
    const base = this.has(`${email.kind}.text.njk`) ? email.kind : 'generic';
    const text = this.text.render(`${base}.text.njk`, context);
    const html = this.has(`${base}.html.njk`) ? this.html.render(`${base}.html.njk`, context) : undefined;

    const headers: Record<string, string> = { 'X-Email-Kind': email.kind };
    const reference = email.inquiry?.reference;
    if (typeof reference === 'string') headers['X-Inquiry-Reference'] = reference;

    return {
      from: this.config.mailFrom,
      to: email.recipient,
      replyTo: email.replyTo ? this.replyTo(email) : undefined,
      subject: oneLine(email.subject),
      text,
      html,
      messageId: email.messageId,
      inReplyTo: email.inReplyTo ?? undefined,
      references: email.references?.length ? email.references : undefined,
      headers,
    };
  }

  /** Reply-To the enquirer carries their name (routing emails), so the team's answer is addressed properly. */
  private replyTo(email: EmailToRender): Address {
    const address = email.replyTo!;
    const inquiry = email.inquiry;
    if (inquiry && typeof inquiry.email === 'string' && inquiry.email.toLowerCase() === address.toLowerCase()) {
      return { name: oneLine(String(inquiry.name ?? '')), address };
    }
    return { address };
  }

  private has(file: string): boolean {
    let found = this.exists.get(file);
    if (found === undefined) {
      found = existsSync(join(TEMPLATES_DIR, file));
      this.exists.set(file, found);
    }
    return found;
  }
}
