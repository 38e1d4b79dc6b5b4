import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { createStaff, TestStaff } from './support/staff.js';
import { createStaffWithPassword, webSignIn } from './support/web.js';
import { insertInquiry } from './inbox-fixtures.js';

describe('No crossed replies (SPEC §9): seenUpTo on replies and notes', () => {
  let t: TestApp;
  let sam: TestStaff;
  let olivia: TestStaff;

  beforeAll(async () => {
    t = await createTestApp();
    sam = await createStaff(t, 'officer', { name: 'Sam Okafor' });
    olivia = await createStaff(t, 'officer', { name: 'Olivia Officer' });
  });
  afterAll(async () => t.close());

  const post = (path: string, body: unknown, as: TestStaff) =>
    request(t.http).post(`/api/admin/inquiries/${path}`).set('Authorization', as.auth).send(body as object);
  const counts = async (id: string) => {
    const [row] = await t.db.query(
      `SELECT (SELECT count(*)::int FROM conversation_messages WHERE inquiry_id = $1) AS messages,
              (SELECT count(*)::int FROM inquiry_notes WHERE inquiry_id = $1) AS notes,
              (SELECT count(*)::int FROM outbound_emails WHERE inquiry_id = $1 AND kind = 'reply') AS emails`, [id]);
    return row;
  };

  it('sends a reply and adds a note when nothing newer than seenUpTo exists', async () => {
    const { id } = await insertInquiry(t, { status: 'open' });
    const note = (await post(`${id}/notes`, { body: 'Checking with the data team.', seenUpTo: 'original' }, sam).expect(201)).body;
    await post(`${id}/replies`, { body: 'Thank you for asking.', seenUpTo: note.id }, sam).expect(202);
    expect(await counts(id)).toEqual({ messages: 1, notes: 1, emails: 1 });
  });

  it('holds a reply written from a stale view: 409 listing the newer items, nothing stored or sent', async () => {
    const { id } = await insertInquiry(t, { status: 'open', name: 'Alex Enquirer' });
    const reply = (await post(`${id}/replies`, { body: 'We are looking into waiting times in your area for you.' }, sam).expect(202)).body;
    const note = (await post(`${id}/notes`, { body: 'Line one\nline two' }, sam).expect(201)).body;

    const res = await post(`${id}/replies`, { body: 'My crossed reply', seenUpTo: 'original' }, olivia).expect(409);
    expect(res.body).toEqual({
      statusCode: 409,
      message: expect.stringContaining('Nothing was sent'),
      newer: [
        { id: reply.id, kind: 'reply', author: 'Sam Okafor', createdAt: expect.any(String), excerpt: 'We are looking into waiting times in your area for you.' },
        { id: note.id, kind: 'note', author: 'Sam Okafor', createdAt: expect.any(String), excerpt: 'Line one line two' },
      ],
    });
    expect(await counts(id)).toEqual({ messages: 1, notes: 1, emails: 1 });

    // Seen up to the reply: the note is still newer, for notes as for replies.
    const stale = await post(`${id}/notes`, { body: 'A crossed note', seenUpTo: reply.id }, olivia).expect(409);
    expect(stale.body.newer.map((n: { id: string }) => n.id)).toEqual([note.id]);
    expect(await counts(id)).toEqual({ messages: 1, notes: 1, emails: 1 });

    // "Send anyway": again with the now-latest item.
    await post(`${id}/replies`, { body: 'My reply after all', seenUpTo: note.id }, olivia).expect(202);
    expect(await counts(id)).toEqual({ messages: 2, notes: 1, emails: 2 });
  });

  it("lists the enquirer's answers by their name, with a one-line excerpt of at most 100 characters", async () => {
    const { id } = await insertInquiry(t, { status: 'waiting', name: 'Alex Enquirer' });
    const long = `${'word '.repeat(40)}end`;
    await t.db.query(`INSERT INTO conversation_messages (id, inquiry_id, direction, body) VALUES (gen_random_uuid(), $1, 'inbound', $2)`, [id, long]);
    const res = await post(`${id}/replies`, { body: 'Hello', seenUpTo: 'original' }, sam).expect(409);
    expect(res.body.newer).toHaveLength(1);
    expect(res.body.newer[0]).toMatchObject({ kind: 'inbound', author: 'Alex Enquirer' });
    expect([...res.body.newer[0].excerpt].length).toBeLessThanOrEqual(100);
    expect(res.body.newer[0].excerpt).toMatch(/^word word .*…$/);
  });

  it('answers 400 for a seenUpTo that names no item of this inquiry, and for one that is not an id', async () => {
    const { id } = await insertInquiry(t, { status: 'open' });
    const other = await insertInquiry(t, { status: 'open' });
    const foreign = (await post(`${other.id}/notes`, { body: 'Elsewhere' }, sam).expect(201)).body;
    const unknown = await post(`${id}/replies`, { body: 'Hi', seenUpTo: foreign.id }, sam).expect(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'seenUpTo' })]);
    await post(`${id}/notes`, { body: 'Hi', seenUpTo: '00000000-0000-4000-8000-000000000000' }, sam).expect(400);
    const bad = await post(`${id}/notes`, { body: 'Hi', seenUpTo: 'latest' }, sam).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'seenUpTo' })]);
    expect(await counts(id)).toEqual({ messages: 0, notes: 0, emails: 0 });
  });

  it('without seenUpTo works as before', async () => {
    const { id } = await insertInquiry(t, { status: 'open' });
    await post(`${id}/notes`, { body: 'First' }, sam).expect(201);
    await post(`${id}/replies`, { body: 'Reply' }, olivia).expect(202);
    expect(await counts(id)).toEqual({ messages: 1, notes: 1, emails: 1 });
  });

  it('lets only one of two replies sent at once from the same view through', async () => {
    const { id } = await insertInquiry(t, { status: 'open' });
    const results = await Promise.all([
      post(`${id}/replies`, { body: 'From Sam', seenUpTo: 'original' }, sam),
      post(`${id}/replies`, { body: 'From Olivia', seenUpTo: 'original' }, olivia),
      post(`${id}/notes`, { body: 'Note from Sam', seenUpTo: 'original' }, sam),
    ]);
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 409)).toHaveLength(2);
    expect(statuses.filter((s) => s === 201 || s === 202)).toHaveLength(1);
    const stored = await counts(id);
    expect(stored.messages + stored.notes).toBe(1);
  });

  describe('on the inquiry page (JavaScript off: plain forms)', () => {
    const seenUpToOf = (html: string, action: string) => {
      const form = html.slice(html.indexOf(`action="${action}"`));
      return /name="seenUpTo" value="([^"]*)"/.exec(form)![1];
    };

    it('holds a stale reply with what arrived, the text kept, "Send anyway" and "Edit"; sending anyway sends it', async () => {
      const priya = await createStaffWithPassword(t, 'officer', { name: 'Priya Shah' });
      const { agent, csrf } = await webSignIn(t, priya.email);
      const { id, reference } = await insertInquiry(t, { status: 'open' });
      const path = `/admin/inquiries/${reference}`;
      const page = (await agent.get(path).expect(200)).text;
      expect(seenUpToOf(page, `${path}/replies`)).toBe('original');
      expect(seenUpToOf(page, `${path}/notes`)).toBe('original');

      // Sam replies through the API while Priya's page is open.
      const samReply = (await post(`${id}/replies`, { body: 'Sam got there first with this answer.' }, sam).expect(202)).body;
      const held = await agent.post(`${path}/replies`).type('form')
        .send({ _csrf: csrf, seenUpTo: 'original', body: 'Priya\r\nwrote this' }).expect(409);
      expect(held.text).toContain('Your reply was not sent');
      expect(held.text).toMatch(/Since you opened this page:[\s\S]*a reply by Sam Okafor, <time datetime="[^"]+">\d\d:\d\d<\/time> — “Sam got there first with this answer\.”/);
      expect(held.text).toContain('>Priya\nwrote this</textarea>');
      expect(held.text).toContain('>Send anyway</button>');
      expect(held.text).toContain('href="#reply-body">Edit</a>');
      expect(seenUpToOf(held.text, `${path}/replies`)).toBe(samReply.id);
      expect(await counts(id)).toMatchObject({ messages: 1, emails: 1 });

      const sent = await agent.post(`${path}/replies`).type('form')
        .send({ _csrf: csrf, seenUpTo: seenUpToOf(held.text, `${path}/replies`), body: 'Priya\r\nwrote this' }).expect(303);
      expect(sent.headers.location).toBe(path);
      expect(await counts(id)).toMatchObject({ messages: 2, emails: 2 });
    });

    it('holds a stale note the same way, and a form without seenUpTo still sends', async () => {
      const priya = await createStaffWithPassword(t, 'officer', { name: 'Priya Shah' });
      const { agent, csrf } = await webSignIn(t, priya.email);
      const { id, reference } = await insertInquiry(t, { status: 'open' });
      const path = `/admin/inquiries/${reference}`;
      await post(`${id}/notes`, { body: 'Sam noted this' }, sam).expect(201);
      const held = await agent.post(`${path}/notes`).type('form').send({ _csrf: csrf, seenUpTo: 'original', body: 'My note' }).expect(409);
      expect(held.text).toContain('Your note was not added');
      expect(held.text).toContain('an internal note by Sam Okafor');
      expect(held.text).toContain('>Add note anyway</button>');
      expect(held.text).toContain('>My note</textarea>');
      await agent.post(`${path}/notes`).type('form').send({ _csrf: csrf, body: 'My note' }).expect(303);
      await agent.post(`${path}/notes`).type('form').send({ _csrf: csrf, seenUpTo: 'nonsense', body: 'Odd' }).expect(400);
      expect(await counts(id)).toMatchObject({ notes: 2 });
    });
  });
});
