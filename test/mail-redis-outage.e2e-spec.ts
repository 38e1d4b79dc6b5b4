import request from 'supertest';
import { MailTuning } from '../src/config/app-config.js';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { PrivateRedis } from './support/private-redis.js';
import { TestSmtpServer } from './support/smtp.js';

const FAST_MAIL: MailTuning = { backoffMs: 200, maxAttempts: 12, relayPollMs: 200, leaseMs: 3_000, concurrency: 4, maxConnections: 2 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Email while Redis is unreachable', () => {
  let redis: PrivateRedis;
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ env: { WORKERS: 'inline', SMTP_URL: smtp.url, REDIS_URL: redis.url }, config: { mail: FAST_MAIL } });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
    await smtp.close();
  });

  const emailsOf = (ids: string[]) =>
    t.db.query(`SELECT status, enqueued_at FROM outbound_emails WHERE inquiry_id = ANY($1::uuid[])`, [ids]) as Promise<{ status: string; enqueued_at: Date | null }[]>;

  it('accepts inquiries while Redis is down and sends every email exactly once when it is back', async () => {
    const before = (await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201)).body;
    await smtp.waitForCount(2, { reference: before.reference });

    await redis.kill();
    const during: { id: string; reference: string }[] = [];
    for (let i = 0; i < 3; i++) during.push((await request(t.http).post('/api/inquiries').send(validInquiry()).expect(201)).body);
    const ids = during.map((i) => i.id);

    // The outbox holds them: written with the inquiries, not handed to the queue, not sent.
    await sleep(1_500);
    const waiting = await emailsOf(ids);
    expect(waiting).toHaveLength(6);
    expect(waiting.every((e) => e.status === 'pending' && e.enqueued_at === null)).toBe(true);
    for (const i of during) expect(smtp.find({ reference: i.reference })).toHaveLength(0);

    // A fresh, empty Redis on the same port: nothing of the old queue survives, the outbox is enough.
    await redis.start();
    for (const i of during) await smtp.waitForCount(2, { reference: i.reference }, 45_000);
    const deadline = Date.now() + 20_000;
    while ((await emailsOf(ids)).some((e) => e.status !== 'sent') && Date.now() < deadline) await sleep(100);
    expect((await emailsOf(ids)).map((e) => e.status)).toEqual(Array(6).fill('sent'));
    for (const i of [before, ...during]) expect(smtp.find({ reference: i.reference })).toHaveLength(2);
    expect(smtp.duplicates().size).toBe(0);
  }, 120_000);
});
