import type { Worker } from 'node:worker_threads';
import { smtpPoolOptions } from '../src/mail/mail-transport.js';
import { SmtpSendError, SmtpSender } from '../src/mail/smtp-sender.js';
import { isPermanent } from '../src/queue/mail.processor.js';
import { TestSmtpServer } from './support/smtp.js';

/**
 * The SMTP thread on its own, against a real SMTP server: what the mail worker relies on it for — the
 * server's answer back, 4xx and 5xx told apart, a dead thread failing its sends as retryable and being
 * started again, and shutdown waiting for the sends in flight.
 */
describe('SMTP sender thread', () => {
  let smtp: TestSmtpServer;
  let sender: SmtpSender;

  const mail = (n: number) => ({
    from: 'Policy team <policy@example.org>',
    to: 'aisha@example.org',
    subject: `Message ${n}`,
    text: `Hello ${n}\r\nSecond line\r\n`,
    html: `<p>Hello ${n}</p>`,
    messageId: `<thread-${n}-${Date.now()}@policy.example.org>`,
    headers: { 'X-Email-Kind': 'acknowledgement' },
  });

  beforeEach(async () => {
    smtp = await TestSmtpServer.start();
    sender = new SmtpSender(smtpPoolOptions(`smtp://127.0.0.1:${smtp.port}`, 2, 30_000));
  });

  afterEach(async () => {
    await sender.close();
    await smtp.stop();
  });

  it('sends a composed message and returns the server answer', async () => {
    const m = mail(1);
    const response = await sender.send(m);
    expect(response).toMatch(/^250/);
    const received = await smtp.waitFor({ messageId: m.messageId });
    expect(received.subject).toBe('Message 1');
    expect(received.envelope).toEqual({ from: 'policy@example.org', to: ['aisha@example.org'] });
    expect(received.headers.get('x-email-kind')).toBe('acknowledgement');
    expect(received.raw).not.toMatch(/[^\r]\n/);
  });

  it('reports 5xx as permanent and 4xx as worth another try', async () => {
    smtp.respondWith((_e, n) => (n === 1 ? { code: 550, message: 'No such user' } : { code: 451, message: 'Try later' }));
    const permanent = await sender.send(mail(2)).catch((e: unknown) => e);
    expect(permanent).toBeInstanceOf(SmtpSendError);
    expect((permanent as SmtpSendError).responseCode).toBe(550);
    expect(isPermanent(permanent)).toBe(true);
    const temporary = await sender.send(mail(3)).catch((e: unknown) => e);
    expect((temporary as SmtpSendError).responseCode).toBe(451);
    expect(isPermanent(temporary)).toBe(false);
  });

  it('fails as retryable when the server is down', async () => {
    await smtp.stop();
    const err = await sender.send(mail(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpSendError);
    expect(isPermanent(err)).toBe(false);
    expect((err as SmtpSendError).code).toBeTruthy();
  });

  it('fails the sends of a thread that died as retryable, and starts a new thread for the next', async () => {
    smtp.answerDelayMs = 2_000;
    const inFlight = sender.send(mail(5)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    await (sender as unknown as { thread: Worker }).thread.terminate();
    const err = await inFlight;
    expect(err).toBeInstanceOf(SmtpSendError);
    expect((err as SmtpSendError).code).toBe('ETHREAD');
    expect(isPermanent(err)).toBe(false);
    smtp.answerDelayMs = 0;
    await expect(sender.send(mail(6))).resolves.toMatch(/^250/);
  });

  it('queues a burst larger than it composes ahead: every message goes once, and a refusal does not hold the rest', async () => {
    // 2 connections, so the thread composes 4 ahead and 36 wait their turn.
    smtp.respondWith((_e, n) => (n === 7 ? { code: 451, message: 'Try later' } : null));
    const burst = Array.from({ length: 40 }, (_, i) => mail(100 + i));
    const results = await Promise.allSettled(burst.map((m) => sender.send(m)));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(39);
    const ids = smtp.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(39);
  });

  it('close() lets the sends in flight finish, then refuses new ones', async () => {
    smtp.answerDelayMs = 500;
    const sends = [sender.send(mail(7)), sender.send(mail(8))];
    await new Promise((r) => setTimeout(r, 100));
    await sender.close();
    await expect(Promise.all(sends)).resolves.toEqual([expect.stringMatching(/^250/), expect.stringMatching(/^250/)]);
    await expect(sender.send(mail(9))).rejects.toMatchObject({ code: 'ESHUTDOWN' });
  });
});
