import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { prettyFactory } from 'pino-pretty';
import { loadConfig } from '../src/config/app-config.js';
import { logFormat, logOptions, mailDestination, startupLines } from '../src/common/logging.js';

type PinoHttpOptions = {
  transport?: { target: string; options: Record<string, unknown> };
  customSuccessMessage?: (req: unknown, res: unknown, ms: number) => string;
};
const tty = { isTTY: true };
const pipe = { isTTY: false };
const config = (env: Record<string, string>) => loadConfig({ LOG_LEVEL: 'info', ...env });

describe('log format: readable lines at a terminal, JSON everywhere else', () => {
  it('is pretty only when stdout is a TTY and NODE_ENV is not production', () => {
    expect(logFormat(config({ NODE_ENV: 'development' }), tty)).toBe('pretty');
    expect(logFormat(config({}), tty)).toBe('pretty');
    expect(logFormat(config({ NODE_ENV: 'test' }), tty)).toBe('pretty');
    expect(logFormat(config({ NODE_ENV: 'production', APP_SECRET: 'x'.repeat(32) }), tty)).toBe('json');
    expect(logFormat(config({ NODE_ENV: 'development' }), pipe)).toBe('json');
    expect(logFormat(config({ NODE_ENV: 'development' }), {})).toBe('json');
    // Tests are silent: no transport thread for logs nobody writes.
    expect(logFormat(loadConfig({ NODE_ENV: 'test' }), tty)).toBe('json');
  });

  it('JSON: pino writes to stdout itself, with the default messages', () => {
    const options = logOptions(config({ NODE_ENV: 'development' }), pipe).pinoHttp as PinoHttpOptions;
    expect(options.transport).toBeUndefined();
    expect(options.customSuccessMessage).toBeUndefined();
  });

  it('pretty: pino-pretty in a transport, one line per entry with the context, requests as "GET /path 200 12 ms"', () => {
    const options = logOptions(config({ NODE_ENV: 'development' }), tty).pinoHttp as PinoHttpOptions;
    expect(options.transport!.target).toBe(createRequire(import.meta.url).resolve('pino-pretty'));
    const pretty = prettyFactory({ ...options.transport!.options, colorize: false });
    const line = pretty(`${JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 9, 30), pid: 1, hostname: 'h', context: 'Main', msg: 'Policy Inbox listening' })}\n`);
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Main: Policy Inbox listening\n$/);

    const req = { method: 'GET', url: '/api/admin/data-subjects/aisha%40example.org/export?x=1', originalUrl: '/api/admin/data-subjects/aisha%40example.org/export?x=1' };
    const message = options.customSuccessMessage!(req, { statusCode: 200 }, 12.4);
    expect(message).toBe('GET /api/admin/data-subjects/:email/export 200 12 ms');
  });
});

describe('start-up lines', () => {
  it('name the form, the staff inbox, the API docs and where mail goes', () => {
    const lines = startupLines({ publicBaseUrl: 'http://localhost:3000', mailDir: 'var/mail' });
    expect(lines).toEqual([
      expect.stringContaining('http://localhost:3000/contact'),
      expect.stringContaining('http://localhost:3000/admin'),
      expect.stringContaining('http://localhost:3000/api/docs'),
      expect.stringContaining(`${resolve('var/mail')}/`),
    ]);
  });

  it('show the SMTP server without its password', () => {
    expect(mailDestination({ smtpUrl: 'smtp://127.0.0.1:1025', mailDir: 'var/mail' })).toBe('SMTP smtp://127.0.0.1:1025');
    const line = mailDestination({ smtpUrl: 'smtps://policy:s3cret-pass@smtp.example.org:465?pool=true', mailDir: 'var/mail' });
    expect(line).toBe('SMTP smtps://policy@smtp.example.org:465');
    expect(line).not.toContain('s3cret');
  });
});
