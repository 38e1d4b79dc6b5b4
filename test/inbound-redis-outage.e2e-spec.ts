import nodemailer from 'nodemailer';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { PrivateRedis } from './support/private-redis.js';

const SECRET = 'webhook-secret-for-tests-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('inbound email while Redis is unreachable', () => {
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await createTestApp({
      env: { WORKERS: 'inline', REDIS_URL: redis.url, INBOUND_WEBHOOK_SECRET: SECRET, MAIL_DOMAIN: 'inbox.test' },
    });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('stores an answer while Redis is down and attaches it once Redis is back', async () => {
    const body = validInquiry();
    const { id } = (await request(t.http).post('/api/inquiries').send(body).expect(201)).body;
    await t.db.query(`UPDATE inquiries SET status = 'waiting' WHERE id = $1`, [id]);
    const [ack] = await t.db.query(`SELECT message_id, reply_to FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'acknowledgement'`, [id]);

    await redis.kill();
    const builder = nodemailer.createTransport({ streamTransport: true, buffer: true });
    const messageId = `<${randomUUID()}@mail.example.org>`;
    const raw = (await builder.sendMail({
      from: body.email as string, to: ack.reply_to, subject: 'Re: your question', text: 'Answer sent during the outage.', messageId,
    })).message as Buffer;
    await request(t.http).post('/api/inbound/email').set('Authorization', `Bearer ${SECRET}`)
      .set('Content-Type', 'message/rfc822').send(raw).expect(202);

    await sleep(1_500);
    const [waiting] = await t.db.query(`SELECT status, enqueued_at FROM inbound_emails WHERE message_id = $1`, [messageId]);
    expect(waiting).toEqual({ status: 'received', enqueued_at: null });

    // A fresh, empty Redis: the stored row is all it takes.
    await redis.start();
    let row: { status: string } | undefined;
    for (let i = 0; i < 600 && row?.status !== 'attached'; i++) {
      [row] = await t.db.query(`SELECT status FROM inbound_emails WHERE message_id = $1`, [messageId]);
      await sleep(100);
    }
    expect(row?.status).toBe('attached');
    const [inquiry] = await t.db.query(`SELECT status FROM inquiries WHERE id = $1`, [id]);
    expect(inquiry.status).toBe('open');
  }, 120_000);
});
