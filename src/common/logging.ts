import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
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

/** Structured request logs: method, path, status, time and a request id. Never bodies, names, emails or tokens. */
export function logOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
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
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
      redact: { paths: ['req.headers', 'res.headers'], remove: true },
    },
  };
}
