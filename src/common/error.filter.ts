import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { DomainError, InvalidInput, SignInRequired, TooManyRequests } from './errors.js';

export interface ErrorBody {
  statusCode: number;
  message: string;
  errors?: { field: string; message: string }[];
  correlationId?: string;
}

export interface ErrorPages {
  handles(req: Request): boolean;
  render(req: Request, res: Response, body: ErrorBody, exception: unknown): void;
}

/** Errors that body-parser and other express middleware raise for a client's bad request. */
const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  'entity.too.large': 'The request body is larger than 64 KiB',
  'entity.parse.failed': 'The request body is not valid JSON',
  'charset.unsupported': 'The request body uses an unsupported character set',
  'encoding.unsupported': 'The request body uses an unsupported content encoding',
  'request.aborted': 'The request was aborted',
  'request.size.invalid': 'The request body length does not match Content-Length',
  'parameters.too.many': 'The request has too many parameters',
};

/** The one place errors become HTTP answers, in one shape: { statusCode, message, errors? }. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  /** `pages` draws errors on the web inbox's paths as pages (a sign-in redirect, a 403 page) instead of JSON. */
  constructor(private readonly pages?: ErrorPages) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const { body, headers } = this.toBody(exception, req);
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (this.pages?.handles(req)) return this.pages.render(req, res, body, exception);
    res.status(body.statusCode).json(body);
  }

  toBody(exception: unknown, req: Request): { body: ErrorBody; headers: Record<string, string> } {
    if (exception instanceof InvalidInput) {
      return { body: { statusCode: 400, message: exception.message, errors: exception.errors }, headers: {} };
    }
    if (exception instanceof TooManyRequests) {
      return {
        body: { statusCode: 429, message: exception.message },
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(exception.retryAfterSeconds))) },
      };
    }
    if (exception instanceof SignInRequired) {
      return { body: { statusCode: 401, message: exception.message }, headers: {} };
    }
    if (exception instanceof DomainError) {
      return { body: { statusCode: exception.statusCode, message: exception.message }, headers: {} };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : Array.isArray((response as { message?: unknown }).message)
            ? ((response as { message: string[] }).message.join('; '))
            : String((response as { message?: unknown }).message ?? exception.message);
      const errors = typeof response === 'object' ? (response as ErrorBody).errors : undefined;
      const health = response as { status?: string; info?: object; error?: Record<string, unknown> };
      if (status === 503 && health.status === 'error' && health.error) {
        // A failed health check: name what is down, keep terminus's details.
        const down = Object.keys(health.error);
        return { body: { statusCode: 503, message: `Unavailable: ${down.join(', ')}`, ...health } as ErrorBody, headers: {} };
      }
      const headers: Record<string, string> = {};
      const retryAfter = (response as { retryAfter?: number }).retryAfter;
      if (status === 429 && retryAfter) headers['Retry-After'] = String(retryAfter);
      return { body: { statusCode: status, message, ...(errors ? { errors } : {}) }, headers };
    }
    const err = exception as { type?: string; status?: number; statusCode?: number; message?: string };
    const status = err?.status ?? err?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = (err.type && CLIENT_ERROR_MESSAGES[err.type]) || 'The request could not be read';
      return { body: { statusCode: status, message }, headers: {} };
    }
    if (isUnavailable(exception)) {
      // PostgreSQL restarting or unreachable: nothing was stored; the client may safely try again.
      return {
        body: { statusCode: 503, message: 'The service is briefly unavailable. Nothing was saved; please try again in a moment.' },
        headers: { 'Retry-After': '5' },
      };
    }
    const correlationId = randomUUID();
    this.logger.error(
      { err: exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : String(exception), correlationId, method: req.method, route: req.route?.path },
      'Unhandled error',
    );
    return {
      body: { statusCode: 500, message: 'Something went wrong on our side. Quote this id if you contact us.', correlationId },
      headers: {},
    };
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/** A database that is down or restarting, as pg and TypeORM report it. */
function isUnavailable(exception: unknown): boolean {
  const e = exception as { code?: string; message?: string; driverError?: { code?: string; message?: string } };
  const code = e?.driverError?.code ?? e?.code;
  const message = e?.driverError?.message ?? e?.message ?? '';
  return (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery)/i.test(message);
}
