import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DigestService } from '../src/privacy/digest.service.js';
import { PLACEHOLDER, PLACEHOLDER_EMAIL } from '../src/privacy/anonymiser.js';
import { RetentionService } from '../src/privacy/retention.service.js';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { createStaff, TestStaff } from './support/staff.js';

const SECRET = 'webhook-secret-for-tests-0123456789';

describe('data protection', () => {
  let t: TestApp;
  let admin: TestStaff;
  let officer: TestStaff;

  beforeAll(async () => {
    t = await createTestApp({ env: { INBOUND_WEBHOOK_SECRET: SECRET, MAIL_DOMAIN: 'inbox.test' } });
    admin = await createStaff(t, 'admin');
    officer = await createStaff(t, 'officer');
  });
  afterAll(async () => t.close());

  async function submit(fields: Record<string, unknown> = {}): Promise<{ id: string; reference: string; email: string }> {
    const body = validInquiry(fields);
    const res = await request(t.http).post('/api/inquiries').send(body).expect(201);
    return { id: res.body.id, reference: res.body.reference, email: body.email as string };
  }

  /** A conversation both ways, a note and a stored inbound email, as the inbox and the inbound doors would leave them. */
  async function converse(inquiry: { id: string; email: string }): Promise<void> {
    const inboundId = randomUUID();
    await t.db.query(
      `INSERT INTO inbound_emails (id, raw, source, message_id, from_address, subject, status, inquiry_id, processed_at)
       VALUES ($1, convert_to($2, 'UTF8'), 'smtp', $3, lower($4), 'Re: my question', 'attached', $5, now())`,
      [inboundId, `From: <${inquiry.email}>\r\nSubject: Re: my question\r\n\r\nMy NHS number is 943 476 5919.\r\n`,
        `<${randomUUID()}@mail.example.org>`, inquiry.email, inquiry.id]);
    await t.db.query(
      `INSERT INTO conversation_messages (id, inquiry_id, direction, body, inbound_email_id) VALUES ($1, $2, 'inbound', 'My NHS number is 943 476 5919.', $3)`,
      [randomUUID(), inquiry.id, inboundId]);
    await t.db.query(
      `INSERT INTO conversation_messages (id, inquiry_id, direction, body, staff_id) VALUES ($1, $2, 'outbound', 'Dear Aisha, here is our answer.', $3)`,
      [randomUUID(), inquiry.id, officer.id]);
    await t.db.query(`INSERT INTO inquiry_notes (id, inquiry_id, staff_id, body) VALUES ($1, $2, $3, 'Called Aisha back.')`,
      [randomUUID(), inquiry.id, officer.id]);
  }

  /** Every row of the tables retention touches, as JSON text, for before/after comparisons. */
  async function snapshot(where: { inquiryIds?: string[] } = {}): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    const tables: [string, string][] = [
      ['inquiries', 'id'], ['conversation_messages', 'inquiry_id'], ['inquiry_notes', 'inquiry_id'],
      ['outbound_emails', 'inquiry_id'], ['inbound_emails', 'inquiry_id'], ['audit_events', 'inquiry_id'],
    ];
    for (const [table, key] of tables) {
      const filter = where.inquiryIds ? `WHERE ${key} = ANY($1::uuid[])` : '';
      const rows: { j: string }[] = await t.db.query(
        `SELECT to_jsonb(x)::text AS j FROM ${table} x ${filter} ORDER BY 1`, where.inquiryIds ? [where.inquiryIds] : []);
      out[table] = rows.map((r) => r.j);
    }
    return out;
  }

  const runRetention = async () => (await request(t.http).post('/api/admin/retention/runs').set('Authorization', admin.auth).expect(201)).body;

  describe('retention', () => {
    it('anonymises inquiries resolved long ago, and nothing else; a second run changes nothing', async () => {
      const old = await submit();
      const recent = await submit();
      const openOld = await submit();
      await t.db.query(`UPDATE inquiries SET status = 'resolved', created_at = now() - interval '31 months', resolved_at = now() - interval '30 months' WHERE id = $1`, [old.id]);
      await t.db.query(`UPDATE inquiries SET status = 'resolved', resolved_at = now() - interval '1 month' WHERE id = $1`, [recent.id]);
      await t.db.query(`UPDATE inquiries SET status = 'open', created_at = now() - interval '31 months' WHERE id = $1`, [openOld.id]);
      for (const i of [old, recent, openOld]) await converse(i);
      const heldOld = randomUUID();
      const heldNew = randomUUID();
      for (const [id, age] of [[heldOld, '30 months'], [heldNew, '1 day']]) {
        await t.db.query(
          `INSERT INTO inbound_emails (id, raw, source, from_address, subject, status, hold_reason, received_at)
           VALUES ($1, convert_to('From: stranger@example.net', 'UTF8'), 'webhook', 'stranger@example.net', 'hello', 'held', 'no_match', now() - $2::interval)`,
          [id, age]);
      }
      const [before] = await t.db.query(`SELECT * FROM inquiries WHERE id = $1`, [old.id]);
      const untouched = await snapshot({ inquiryIds: [recent.id, openOld.id] });

      const run = await runRetention();
      expect(run).toMatchObject({ trigger: 'manual', anonymisedCount: 1, inboundAnonymisedCount: 1, finishedAt: expect.any(String) });

      const [after] = await t.db.query(`SELECT * FROM inquiries WHERE id = $1`, [old.id]);
      expect(after).toMatchObject({
        name: PLACEHOLDER, email: PLACEHOLDER_EMAIL, organisation: null, subject: PLACEHOLDER, message: PLACEHOLDER, source_url: null,
        // kept for statistics
        reference: before.reference, status: 'resolved', topic_key: before.topic_key, enquirer_type: before.enquirer_type,
        created_at: before.created_at, resolved_at: before.resolved_at, expected_response_by: before.expected_response_by,
      });
      expect(after.anonymised_at).not.toBeNull();
      const bodies = await t.db.query(`SELECT body FROM conversation_messages WHERE inquiry_id = $1 UNION ALL SELECT body FROM inquiry_notes WHERE inquiry_id = $1`, [old.id]);
      expect(bodies.map((b: { body: string }) => b.body)).toEqual([PLACEHOLDER, PLACEHOLDER, PLACEHOLDER]);
      const emails = await t.db.query(`SELECT kind, recipient, reply_to, payload, subject FROM outbound_emails WHERE inquiry_id = $1 ORDER BY kind`, [old.id]);
      expect(emails).toEqual([
        { kind: 'acknowledgement', recipient: PLACEHOLDER_EMAIL, reply_to: null, payload: {}, subject: PLACEHOLDER },
        { kind: 'routing', recipient: 'policy-team@localhost', reply_to: null, payload: {}, subject: PLACEHOLDER },
      ]);
      const [inbound] = await t.db.query(`SELECT convert_from(raw, 'UTF8') AS raw, from_address, subject FROM inbound_emails WHERE inquiry_id = $1`, [old.id]);
      expect(inbound).toEqual({ raw: PLACEHOLDER, from_address: PLACEHOLDER_EMAIL, subject: PLACEHOLDER });
      const held = await t.db.query(`SELECT id, from_address FROM inbound_emails WHERE id = ANY($1::uuid[]) ORDER BY received_at`, [[heldOld, heldNew]]);
      expect(held).toEqual([{ id: heldOld, from_address: PLACEHOLDER_EMAIL }, { id: heldNew, from_address: 'stranger@example.net' }]);

      expect(await snapshot({ inquiryIds: [recent.id, openOld.id] })).toEqual(untouched);

      const everything = await snapshot();
      const second = await runRetention();
      expect(second).toMatchObject({ anonymisedCount: 0, inboundAnonymisedCount: 0 });
      expect(await snapshot()).toEqual(everything);

      const runs = await request(t.http).get('/api/admin/retention/runs').set('Authorization', admin.auth).expect(200);
      expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual([second.id, run.id]);
      expect(runs.body.nextCursor).toBeNull();
      const first = await request(t.http).get('/api/admin/retention/runs?limit=1').set('Authorization', admin.auth).expect(200);
      const next = await request(t.http).get(`/api/admin/retention/runs?limit=1&cursor=${first.body.nextCursor}`).set('Authorization', admin.auth).expect(200);
      expect(next.body.items.map((r: { id: string }) => r.id)).toEqual([run.id]);
    });

    it('runs a scheduled retention once a UK day, however often the job fires', async () => {
      const retention = t.app.get(RetentionService, { strict: false });
      const first = await retention.run('scheduled');
      expect(first).toMatchObject({ trigger: 'scheduled', runDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
      expect(await retention.run('scheduled')).toBeNull();
    });

    it('is for admins only', async () => {
      await request(t.http).get('/api/admin/retention/runs').set('Authorization', officer.auth).expect(403);
      await request(t.http).post('/api/admin/retention/runs').set('Authorization', officer.auth).expect(403);
      await request(t.http).get('/api/admin/retention/runs').expect(401);
    });
  });

  describe('subject access and erasure', () => {
    const address = `Sam.Subject.${randomUUID().slice(0, 8)}@Example.org`;
    const lower = address.toLowerCase();
    let mine: { id: string; reference: string }[];
    let other: { id: string };

    beforeAll(async () => {
      mine = [await submit({ email: address }), await submit({ email: lower, organisation: 'Sam Subject Consulting' })];
      for (const i of mine) await converse({ ...i, email: address });
      other = await submit({ message: `Please also copy my colleague ${address.toUpperCase()} into your answer.` });
      await t.db.query(`INSERT INTO inquiry_notes (id, inquiry_id, staff_id, body) VALUES ($1, $2, $3, $4)`,
        [randomUUID(), other.id, officer.id, `Colleague is ${lower}`]);
      // A message from the address that arrived by the webhook and has not been processed yet.
      const raw = Buffer.from(`From: Sam <${address}>\r\nTo: policy@inbox.test\r\nSubject: Another thing\r\nMessage-ID: <${randomUUID()}@example.org>\r\n\r\nHello again.\r\n`);
      await request(t.http).post('/api/inbound/email').set('Authorization', `Bearer ${SECRET}`)
        .set('Content-Type', 'message/rfc822').send(raw).expect(202);
    });

    it('exports every inquiry and message of the address, for admins only, audited without the address', async () => {
      await request(t.http).get(`/api/admin/data-subjects/${encodeURIComponent(address)}/export`).set('Authorization', officer.auth).expect(403);
      const res = await request(t.http).get(`/api/admin/data-subjects/${encodeURIComponent(address)}/export`)
        .set('Authorization', admin.auth).expect(200);
      expect(res.body.subject).toBe(lower);
      expect(res.body.inquiries.map((i: { id: string }) => i.id).sort()).toEqual(mine.map((i) => i.id).sort());
      expect(res.body.inquiries[0]).toMatchObject({ email: expect.stringMatching(new RegExp(`^${lower.replace(/\./g, '\\.')}$`, 'i')) });
      expect(res.body.conversation).toHaveLength(4);
      expect(res.body.notes).toHaveLength(2);
      expect(res.body.emails.filter((e: { kind: string }) => e.kind === 'acknowledgement')).toHaveLength(2);
      expect(res.body.inboundEmails).toHaveLength(3);
      expect(res.body.inboundEmails.map((m: { raw: string }) => m.raw).join('\n')).toContain('Hello again.');
      expect(res.body.audit).toEqual(expect.any(Array));

      const [audit] = await t.db.query(`SELECT actor_id, changes::text AS changes FROM audit_events WHERE action = 'data-subject.exported'`);
      expect(audit.actor_id).toBe(admin.id);
      expect(audit.changes.toLowerCase()).not.toContain(lower);
      expect(JSON.parse(audit.changes)).toMatchObject({ inquiries: { to: 2 }, subjectHash: { to: expect.any(String) } });
    });

    it('refuses something that is not an email address', async () => {
      await request(t.http).get('/api/admin/data-subjects/not-an-address/export').set('Authorization', admin.auth).expect(400);
    });

    /** Every text, varchar, json(b), bytea and text[] column of every table, searched for the address without case. */
    async function traces(): Promise<string[]> {
      const columns: { table_name: string; column_name: string; data_type: string }[] = await t.db.query(
        `SELECT c.table_name, c.column_name, c.data_type
           FROM information_schema.columns c JOIN information_schema.tables tb
             ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
          WHERE c.table_schema = 'public'
            AND (c.data_type IN ('text', 'character varying', 'character', 'jsonb', 'json', 'bytea')
                 OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar')))`);
      expect(columns.length).toBeGreaterThan(20);
      const found: string[] = [];
      for (const c of columns) {
        const value = c.data_type === 'bytea' ? `encode("${c.column_name}", 'escape')` : `"${c.column_name}"::text`;
        const [{ n }] = await t.db.query(
          `SELECT count(*)::int AS n FROM "${c.table_name}" WHERE position($1 in lower(${value})) > 0`, [lower]);
        if (n) found.push(`${c.table_name}.${c.column_name}`);
      }
      return found;
    }

    /** Redis keys of this app (its queue prefix) whose name holds the address. */
    async function redisKeysNaming(): Promise<string[]> {
      const redis = new Redis(t.config.redisUrl, { maxRetriesPerRequest: 1 });
      try {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await redis.scan(cursor, 'MATCH', `${t.config.queuePrefix}:*`, 'COUNT', 500);
          keys.push(...batch.filter((k) => k.toLowerCase().includes(lower)));
          cursor = next;
        } while (cursor !== '0');
        return keys;
      } finally {
        redis.disconnect();
      }
    }

    it('erases the address from every column of every table, and its rate-limit counter from Redis', async () => {
      expect(await traces()).toEqual(expect.arrayContaining([
        'inquiries.email', 'inquiries.message', 'inquiry_notes.body', 'outbound_emails.recipient', 'inbound_emails.raw',
      ]));
      expect(await redisKeysNaming()).toEqual([`${t.config.queuePrefix}:limit:email:${lower}`]);
      await request(t.http).delete(`/api/admin/data-subjects/${encodeURIComponent(address)}`).set('Authorization', officer.auth).expect(403);
      const res = await request(t.http).delete(`/api/admin/data-subjects/${encodeURIComponent(address)}`).set('Authorization', admin.auth).expect(200);
      expect(res.body).toEqual({ inquiries: 2, inboundEmails: 3, pageComments: 0 });
      expect(await traces()).toEqual([]);
      expect(await redisKeysNaming()).toEqual([]);

      // The inquiries stay, for statistics; the mention in someone else's inquiry is gone, the rest of it is not.
      const kept = await t.db.query(`SELECT status, anonymised_at FROM inquiries WHERE id = ANY($1::uuid[])`, [mine.map((i) => i.id)]);
      expect(kept).toHaveLength(2);
      const [mention] = await t.db.query(`SELECT message, anonymised_at FROM inquiries WHERE id = $1`, [other.id]);
      expect(mention).toEqual({ message: 'Please also copy my colleague [erased] into your answer.', anonymised_at: null });
      const [audit] = await t.db.query(`SELECT actor_id, changes FROM audit_events WHERE action = 'data-subject.erased'`);
      expect(audit).toMatchObject({ actor_id: admin.id, changes: { inquiries: { to: 2 }, subjectHash: { to: expect.any(String) } } });
    });
  });

  it('flags an NHS number or a UK phone number at intake without refusing the inquiry', async () => {
    const nhs = await submit({ message: 'My father\'s NHS number is 943 476 5919, can you help with his referral?' });
    const phone = await submit({ message: 'Please call me back on 07700 900123 about the waiting list.' });
    const plain = await submit();
    const flags = async (id: string) => (await t.db.query(`SELECT sensitive_flags FROM inquiries WHERE id = $1`, [id]))[0].sensitive_flags;
    expect(await flags(nhs.id)).toEqual(['nhs_number']);
    expect(await flags(phone.id)).toEqual(['phone_number']);
    expect(await flags(plain.id)).toEqual([]);
  });

  it('queues one overdue digest per topic mailbox per day, however often it runs', async () => {
    const late = await submit({ topic: 'workforce' });
    await t.db.query(`UPDATE topics SET mailbox = 'workforce-team@charity.example' WHERE key = 'workforce'`);
    await t.db.query(`UPDATE inquiries SET expected_response_by = current_date - 3 WHERE id = $1`, [late.id]);
    const digest = t.app.get(DigestService, { strict: false });
    expect(await digest.sendDaily()).toBeGreaterThanOrEqual(1);
    expect(await digest.sendDaily()).toBe(0);
    const rows = await t.db.query(`SELECT recipient, payload FROM outbound_emails WHERE kind = 'digest' AND recipient = 'workforce-team@charity.example'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].payload.items.map((i: { reference: string }) => i.reference)).toContain(late.reference);
    expect(JSON.stringify(rows[0].payload)).not.toContain('Aisha');
  });
});
