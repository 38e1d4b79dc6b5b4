import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Params } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';

/** Paths can carry an email address (data-subject routes) or a token; logs keep neither. */
export function safePath(url: string | undefined): string {
  const path = (url ?? '').split('?')[0];
  return path
    .split('/')
    .map((seg) => (/%40|@/.test(seg) ? ':email' : seg.length > 64 ? ':token' : seg))
    .join('/');
}

export type LogFormat = 'pretty' | 'json';

/**
 * Readable lines for someone at a terminal (stdout a TTY, NODE_ENV not production); JSON everywhere else:
 * under a process manager, in a container, piped to a file or another program, and in production always.
 */
export function logFormat(config: Pick<AppConfig, 'nodeEnv' | 'logLevel'>, stdout: { isTTY?: boolean } = process.stdout): LogFormat {
  if (config.nodeEnv === 'production' || config.logLevel === 'silent' || !stdout.isTTY) return 'json';
  return 'pretty';
}

type Req = IncomingMessage & { originalUrl?: string };

/** pino-pretty in pino's transport thread: one line per entry, `HH:MM:ss.l LEVEL: Context: message`. */
function prettyOptions() {
  return {
    transport: {
      target: createRequire(import.meta.url).resolve('pino-pretty'),
      options: {
        colorize: true,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,context,req,res,responseTime',
        messageFormat: '{if context}{context}: {end}{msg}',
      },
    },
    // The request line says it all in the message (the JSON entry keeps these as fields).
    customSuccessMessage: (req: Req, res: ServerResponse, ms: number) =>
      `${req.method} ${safePath(req.originalUrl ?? req.url)} ${res.statusCode} ${Math.round(ms)} ms`,
    customErrorMessage: (req: Req, res: ServerResponse, err: Error) =>
      `${req.method} ${safePath(req.originalUrl ?? req.url)} ${res.statusCode} ${err.message}`,
  };
}

/** Where mail goes, for the start-up lines: the SMTP server without its password, or the .eml folder. */
export function mailDestination(config: Pick<AppConfig, 'smtpUrl' | 'mailDir'>): string {
  if (!config.smtpUrl) return `.eml files in ${resolve(config.mailDir)}/ (SMTP_URL is not set)`;
  const url = new URL(config.smtpUrl);
  url.password = '';
  url.search = '';
  return `SMTP ${url.toString().replace(/\/$/, '')}`;
}

/** What a newcomer needs after `npm start`: where the form, the staff inbox and the API docs are, where mail goes. */
export function startupLines(config: Pick<AppConfig, 'publicBaseUrl' | 'smtpUrl' | 'mailDir'>): string[] {
  const base = config.publicBaseUrl;
  return [
    `Contact form:  ${base}/contact`,
    `Staff inbox:   ${base}/admin`,
    `API docs:      ${base}/api/docs`,
    `Mail goes to:  ${mailDestination(config)}`,
  ];
}

/** Structured request logs: method, path, status, time and a request id. Never bodies, names, emails or tokens. */
export function logOptions(config: AppConfig, stdout: { isTTY?: boolean } = process.stdout): Params {
  return {
    pinoHttp: {
      ...(logFormat(config, stdout) === 'pretty' ? prettyOptions() : {}),
      level: config.logLevel,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: safePath(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: (err: Error) => ({ type: err.name, message: err.message }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // Probes and scrapes come every few seconds and say nothing a person needs.
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
      redact: { paths: ['req.headers', 'res.headers'], remove: true },
    },
  };
}
