import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';
import { insertInquiry } from './inbox-fixtures.js';
import { createStaff, TestStaff } from './support/staff.js';

/** GET /api/admin/audit (SPEC §5): every audited thing, newest first, filtered, keyset-paged. */
describe('the audit log API', () => {
  let t: TestApp;
  let admin: TestStaff;
  let officer: TestStaff;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createStaff(t, 'admin');
    officer = await createStaff(t, 'officer');
  });
  afterAll(async () => t.close());

  /** An audit entry written straight to the table, so a test controls its time. */
  async function record(fields: { action: string; at: string; actor?: TestStaff | null; inquiryId?: string | null; changes?: object }): Promise<string> {
    const id = randomUUID();
    await t.db.query(
      `INSERT INTO audit_events (id, inquiry_id, actor_id, actor_email, action, changes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, fields.inquiryId ?? null, fields.actor?.id ?? null, fields.actor?.email ?? null, fields.action,
        JSON.stringify(fields.changes ?? {}), fields.at],
    );
    return id;
  }

  const audit = (query: Record<string, string | number> = {}) =>
    request(t.http).get('/api/admin/audit').query(query).set('Authorization', admin.auth);

  /** Every page of a query, following nextCursor. */
  async function allPages(query: Record<string, string | number>): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await audit(cursor ? { ...query, cursor } : query).expect(200);
      ids.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    return { ids, pages };
  }

  it('answers 401 without a token and 403 to an officer', async () => {
    const none = await request(t.http).get('/api/admin/audit').expect(401);
    expect(none.body).toEqual({ statusCode: 401, message: expect.any(String) });
    await request(t.http).get('/api/admin/audit').set('Authorization', 'Bearer garbage').expect(401);
    const res = await request(t.http).get('/api/admin/audit').set('Authorization', officer.auth).expect(403);
    expect(res.body.statusCode).toBe(403);
  });

  it('lists entries newest first in the shape of SPEC §5, with actor null for the system', async () => {
    const inquiry = await insertInquiry(t);
    const older = await record({ action: 'inquiry.updated', at: '2021-03-01T10:00:00Z', actor: admin, inquiryId: inquiry.id, changes: { status: { from: 'new', to: 'open' } } });
    const newer = await record({ action: 'inquiry.anonymised', at: '2021-03-02T10:00:00Z', actor: null, inquiryId: inquiry.id, changes: { reason: { from: null, to: 'retention' } } });
    const res = await audit({ inquiryId: inquiry.id }).expect(200);
    expect(res.body).toEqual({
      items: [
        { id: newer, at: '2021-03-02T10:00:00.000Z', actor: null, action: 'inquiry.anonymised', inquiryId: inquiry.id, changes: { reason: { from: null, to: 'retention' } } },
        { id: older, at: '2021-03-01T10:00:00.000Z', actor: { id: admin.id, email: admin.email }, action: 'inquiry.updated', inquiryId: inquiry.id, changes: { status: { from: 'new', to: 'open' } } },
      ],
      nextCursor: null,
    });
  });

  it('filters by an exact action, or by a prefix ending in "." (and only at a dot)', async () => {
    const range = { from: '2019-01-01', to: '2019-01-31' };
    const updated = await record({ action: 'inquiry.updated', at: '2019-01-10T09:00:00Z', actor: admin });
    const reopened = await record({ action: 'inquiry.reopened', at: '2019-01-11T09:00:00Z' });
    const lookalike = await record({ action: 'inquiry-notes.added', at: '2019-01-12T09:00:00Z', actor: admin });
    const exported = await record({ action: 'data-subject.exported', at: '2019-01-13T09:00:00Z', actor: admin });

    const exact = await audit({ ...range, action: 'inquiry.updated' }).expect(200);
    expect(exact.body.items.map((i: { id: string }) => i.id)).toEqual([updated]);

    const prefix = await audit({ ...range, action: 'inquiry.' }).expect(200);
    expect(prefix.body.items.map((i: { id: string }) => i.id)).toEqual([reopened, updated]);

    // Without the dot it is an exact name, which no entry has.
    const bare = await audit({ ...range, action: 'inquiry' }).expect(200);
    expect(bare.body.items).toEqual([]);

    const subjects = await audit({ ...range, action: 'data-subject.' }).expect(200);
    expect(subjects.body.items.map((i: { id: string }) => i.id)).toEqual([exported]);

    const everything = await audit(range).expect(200);
    expect(everything.body.items.map((i: { id: string }) => i.id)).toEqual([exported, lookalike, reopened, updated]);
  });

  it('filters by actor and by inquiry, and combines filters', async () => {
    const other = await createStaff(t, 'admin');
    const a = await insertInquiry(t);
    const b = await insertInquiry(t);
    const range = { from: '2018-05-01', to: '2018-05-31' };
    const mineOnA = await record({ action: 'note.added', at: '2018-05-02T12:00:00Z', actor: other, inquiryId: a.id });
    const mineOnB = await record({ action: 'reply.sent', at: '2018-05-03T12:00:00Z', actor: other, inquiryId: b.id });
    const adminOnA = await record({ action: 'inquiry.updated', at: '2018-05-04T12:00:00Z', actor: admin, inquiryId: a.id });

    const byActor = await audit({ ...range, actorId: other.id }).expect(200);
    expect(byActor.body.items.map((i: { id: string }) => i.id)).toEqual([mineOnB, mineOnA]);
    expect(byActor.body.items.every((i: { actor: { id: string } }) => i.actor.id === other.id)).toBe(true);

    const byInquiry = await audit({ inquiryId: a.id }).expect(200);
    expect(byInquiry.body.items.map((i: { id: string }) => i.id)).toEqual([adminOnA, mineOnA]);

    const both = await audit({ actorId: other.id.toUpperCase(), inquiryId: a.id }).expect(200);
    expect(both.body.items.map((i: { id: string }) => i.id)).toEqual([mineOnA]);

    const withAction = await audit({ actorId: other.id, action: 'reply.' }).expect(200);
    expect(withAction.body.items.map((i: { id: string }) => i.id)).toEqual([mineOnB]);
  });

  it('takes from and to as dates (UK days, a date-only to including its whole day) or date-times', async () => {
    // 30 June 2017, 23:30 in London (BST) is 22:30 UTC; 00:30 on 1 July is 23:30 UTC on 30 June.
    const lateOnThe30th = await record({ action: 'test.dates', at: '2017-06-30T22:30:00Z' });
    const earlyOnThe1st = await record({ action: 'test.dates', at: '2017-06-30T23:30:00Z' });
    const laterOnThe1st = await record({ action: 'test.dates', at: '2017-07-01T11:00:00Z' });
    const ids = async (q: Record<string, string>) =>
      (await audit({ action: 'test.dates', ...q }).expect(200)).body.items.map((i: { id: string }) => i.id);

    expect(await ids({ to: '2017-06-30' })).toEqual([lateOnThe30th]);
    expect(await ids({ from: '2017-07-01' })).toEqual([laterOnThe1st, earlyOnThe1st]);
    expect(await ids({ from: '2017-07-01', to: '2017-07-01' })).toEqual([laterOnThe1st, earlyOnThe1st]);
    expect(await ids({ from: '2017-06-30', to: '2017-06-30' })).toEqual([lateOnThe30th]);
    // A date-time without an offset is UK time; with one, it is that instant; a date-time `to` is inclusive.
    expect(await ids({ from: '2017-07-01T00:00', to: '2017-07-01T00:30' })).toEqual([earlyOnThe1st]);
    expect(await ids({ from: '2017-06-30T23:00:00Z', to: '2017-07-01T11:00:00Z' })).toEqual([laterOnThe1st, earlyOnThe1st]);
    expect(await ids({ to: '2017-06-30T22:30:00+00:00' })).toEqual([lateOnThe30th]);
  });

  it('pages with the cursor without gaps or repeats, ties on the same instant included', async () => {
    const made: { id: string; at: string }[] = [];
    for (let i = 0; i < 23; i++) {
      // Groups of three share a timestamp to the microsecond, so only the id orders them.
      const at = `2016-02-${String(1 + Math.floor(i / 3)).padStart(2, '0')}T08:00:00.123456Z`;
      made.push({ id: await record({ action: 'test.paging', at, actor: admin }), at });
    }
    const expected = [...made].sort((x, y) => (x.at === y.at ? (x.id < y.id ? 1 : -1) : x.at < y.at ? 1 : -1)).map((m) => m.id);
    for (const limit of [1, 5, 7, 23, 100]) {
      const { ids, pages } = await allPages({ action: 'test.paging', limit });
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(23);
      expect(pages).toBe(Math.max(1, Math.ceil(23 / limit)));
    }
    const first = await audit({ action: 'test.paging' }).expect(200);
    expect(first.body.items).toHaveLength(23); // the default limit is 25
    expect(first.body.nextCursor).toBeNull();
  });

  it('answers 400 naming the field for a bad limit, cursor, date, id or action', async () => {
    const bad: [Record<string, string>, string][] = [
      [{ limit: '0' }, 'limit'], [{ limit: '101' }, 'limit'], [{ limit: 'ten' }, 'limit'], [{ limit: '2.5' }, 'limit'],
      [{ cursor: 'not a cursor!' }, 'cursor'], [{ cursor: Buffer.from('["yesterday","x"]').toString('base64url') }, 'cursor'],
      [{ cursor: 'abc' }, 'cursor'],
      [{ from: 'yesterday' }, 'from'], [{ to: '2026-02-30' }, 'to'], [{ from: '2026-13-01' }, 'from'], [{ to: '2026-01-01T25:00' }, 'to'],
      [{ actorId: 'nobody' }, 'actorId'], [{ inquiryId: 'POL-7K3M9Q' }, 'inquiryId'],
      [{ action: 'Inquiry Updated' }, 'action'], [{ action: '.' }, 'action'], [{ action: 'inquiry..updated' }, 'action'],
      [{ action: `${'a'.repeat(101)}` }, 'action'], [{ unknown: 'x' }, 'unknown'],
    ];
    for (const [query, field] of bad) {
      const res = await audit(query);
      expect(`${JSON.stringify(query)} -> ${res.status}`).toBe(`${JSON.stringify(query)} -> 400`);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    await audit({ limit: '1' }).expect(200);
    await audit({ limit: '100' }).expect(200);
  });

  it('is in the OpenAPI document with its filters, admins only', async () => {
    const { body } = await request(t.http).get('/api/docs-json').expect(200);
    const route = body.paths['/api/admin/audit'].get;
    expect(route.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['action', 'actorId', 'cursor', 'from', 'inquiryId', 'limit', 'to']);
    expect(Object.keys(route.responses).sort()).toEqual(['200', '400', '401', '403']);
    expect(route.security).toEqual([{ bearer: [] }]);
  });

  it('shows subject-access exports and erasures, by whom, without the address', async () => {
    const body = validInquiry({ email: `audit.subject.${randomUUID().slice(0, 8)}@example.org` });
    await request(t.http).post('/api/inquiries').send(body).expect(201);
    const email = String(body.email);
    const since = new Date(Date.now() - 60_000).toISOString();
    await request(t.http).get(`/api/admin/data-subjects/${encodeURIComponent(email)}/export`).set('Authorization', admin.auth).expect(200);
    await request(t.http).delete(`/api/admin/data-subjects/${encodeURIComponent(email)}`).set('Authorization', admin.auth).expect(200);

    const res = await audit({ action: 'data-subject.', actorId: admin.id, from: since }).expect(200);
    expect(res.body.items.map((i: { action: string }) => i.action)).toEqual(['data-subject.erased', 'data-subject.exported']);
    const [erased, exported] = res.body.items;
    expect(erased).toMatchObject({ actor: { id: admin.id, email: admin.email }, inquiryId: null, changes: { inquiries: { from: null, to: 1 } } });
    expect(exported.changes.subjectHash.to).toBe(erased.changes.subjectHash.to);
    expect(exported.changes.subjectHash.to).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(res.body)).not.toContain(email);

    // The erasure anonymised the inquiry, and that is in the log too.
    const anonymised = await audit({ action: 'inquiry.anonymised', actorId: admin.id }).expect(200);
    expect(anonymised.body.items[0].changes).toEqual({ reason: { from: null, to: 'erasure' } });
  });
});
