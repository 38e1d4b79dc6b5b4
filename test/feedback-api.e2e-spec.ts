import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logOptions } from '../src/common/logging.js';
import { loadConfig } from '../src/config/app-config.js';
import request from 'supertest';
import { averageOf } from '../src/feedback/page-feedback.service.js';
import { DigestService } from '../src/privacy/digest.service.js';
import { RetentionService } from '../src/privacy/retention.service.js';
import { createTestApp, TestApp } from './support/app.js';
import { createStaff } from './support/staff.js';

const ROOT = join(import.meta.dirname, '..');
const SITE = 'https://www.charity.example';
const OTHER = 'https://evil.example';
const page = (path = 'cancer-services') => `${SITE}/about-cancer/${path}-${Math.random().toString(36).slice(2, 8)}`;
const visitor = () => `visitor-${Math.random().toString(36).slice(2, 14)}-id`;

/** SPEC §11: "Rate this page" and "tell us what you think", through the JSON API the widget uses. */
describe('page feedback API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { FEEDBACK_SITES: `${SITE}, https://news.charity.example`, TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => t.close());

  const vote = (url: string, rating: unknown, visitorId?: string, ip = '203.0.113.7') =>
    request(t.http).post('/api/pages/ratings').set('X-Forwarded-For', ip).send({ url, rating, ...(visitorId ? { visitorId } : {}) });
  const rating = (url: string) => request(t.http).get('/api/pages/rating').query({ url });

  describe('ratings', () => {
    it('answers a page without votes with a null average and an empty distribution, cacheable for 60 s', async () => {
      const url = page();
      const res = await rating(url).expect(200);
      expect(res.body).toEqual({ url, average: null, votes: 0, distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } });
      expect(res.headers['cache-control']).toBe('public, max-age=60');
    });

    it('counts each visitor once and keeps the average to one decimal and the distribution', async () => {
      const url = page();
      const ratings = [1, 2, 2, 1, 3, 2, 1, 4, 1]; // 17 / 9 = 1.888… → 1.9, as on the seed page
      let last: request.Response | undefined;
      for (const r of ratings) last = await vote(url, r, visitor()).expect(201);
      expect(last!.body).toEqual({ average: 1.9, votes: 9 });
      const res = await rating(url).expect(200);
      expect(res.body).toEqual({ url, average: 1.9, votes: 9, distribution: { 1: 4, 2: 3, 3: 1, 4: 1, 5: 0 } });
    });

    it('rounds half up from integers (2.25 → 2.3, 2.35 → 2.4, 1.05 → 1.1)', () => {
      expect(averageOf(9, 4)).toBe(2.3);
      expect(averageOf(47, 20)).toBe(2.4);
      expect(averageOf(21, 20)).toBe(1.1);
      expect(averageOf(5, 3)).toBe(1.7);
      expect(averageOf(0, 0)).toBeNull();
    });

    it('replaces a visitor\'s vote within 24 hours, and counts a new one after that', async () => {
      const url = page();
      const me = visitor();
      await vote(url, 5, visitor()).expect(201);
      await vote(url, 1, me).expect(201);
      expect((await vote(url, 4, me).expect(201)).body).toEqual({ average: 4.5, votes: 2 });
      expect((await rating(url)).body.distribution).toEqual({ 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 });
      // The earlier vote was cast 25 hours ago: this one is a new vote.
      await t.db.query(`UPDATE page_votes SET cast_at = now() - interval '25 hours' WHERE page_url = $1 AND rating = 4`, [url]);
      expect((await vote(url, 3, me).expect(201)).body).toEqual({ average: 4, votes: 3 });
    });

    it('without a visitor id, counts one vote per address and day by a salted hash, never the address', async () => {
      const url = page();
      await vote(url, 2, undefined, '198.51.100.23').expect(201);
      expect((await vote(url, 5, undefined, '198.51.100.23').expect(201)).body).toEqual({ average: 5, votes: 1 });
      expect((await vote(url, 1, undefined, '198.51.100.24').expect(201)).body).toEqual({ average: 3, votes: 2 });
      const rows: { visitor: string }[] = await t.db.query(`SELECT visitor FROM page_votes WHERE page_url = $1`, [url]);
      expect(rows.map((r) => r.visitor)).toEqual([expect.stringMatching(/^a:[A-Za-z0-9_-]{43}$/), expect.stringMatching(/^a:/)]);
      const everything = JSON.stringify(await t.db.query(`SELECT * FROM page_votes`)) + JSON.stringify(await t.db.query(`SELECT * FROM page_ratings`));
      expect(everything).not.toContain('198.51.100');
      // Only today's salt is kept; an earlier day's is deleted when the day's salt is made.
      const salts: { day: string }[] = await t.db.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM page_feedback_salts`);
      expect(salts).toHaveLength(1);
    });

    it('never lets two quick votes of one visitor both count', async () => {
      const url = page();
      const me = visitor();
      await Promise.all([1, 2, 3, 4, 5].map((r) => vote(url, r, me).expect(201)));
      const res = await rating(url);
      expect(res.body.votes).toBe(1);
      const [roll] = await t.db.query(`SELECT votes, total FROM page_ratings WHERE url = $1`, [url]);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM page_votes WHERE page_url = $1`, [url]);
      expect(roll.votes).toBe(n);
    });

    it('counts every vote when many visitors vote on one page at once, the roll-up matching the votes', async () => {
      const url = page();
      const ratings = Array.from({ length: 40 }, (_, i) => 1 + (i % 5));
      await Promise.all(ratings.map((r) => vote(url, r, visitor()).expect(201)));
      const res = await rating(url);
      expect(res.body).toMatchObject({ votes: 40, average: 3, distribution: { 1: 8, 2: 8, 3: 8, 4: 8, 5: 8 } });
      const [roll] = await t.db.query(`SELECT votes, total FROM page_ratings WHERE url = $1`, [url]);
      const [sum] = await t.db.query(`SELECT count(*)::int AS n, sum(rating)::int AS total FROM page_votes WHERE page_url = $1`, [url]);
      expect(roll).toEqual({ votes: sum.n, total: sum.total });
    });

    it('names a page by its origin and path: the query and the fragment do not split its votes', async () => {
      const url = page();
      await vote(`${url}?utm_source=newsletter#top`, 4, visitor()).expect(201);
      expect((await rating(url)).body).toMatchObject({ url, votes: 1, average: 4 });
    });

    it.each([0, 6, 2.5, '3', null, true, [3], { r: 3 }])('refuses the rating %p with 400', async (r) => {
      const res = await vote(page(), r, visitor()).expect(400);
      expect(res.body).toEqual({ statusCode: 400, message: expect.any(String), errors: [{ field: 'rating', message: expect.any(String) }] });
    });

    it.each([
      ['not a URL', 'cancer services'],
      ['another site', `${OTHER}/about-cancer/cancer-services`],
      ['another scheme', 'ftp://www.charity.example/x'],
      ['a site on another port', 'https://www.charity.example:8443/x'],
      ['javascript:', 'javascript:alert(1)'],
      ['too long', `${SITE}/${'a'.repeat(2100)}`],
    ])('refuses a URL that is %s with 400, for votes, comments and the rating', async (_what, url) => {
      const res = await vote(url, 3, visitor()).expect(400);
      expect(res.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
      await request(t.http).post('/api/pages/feedback').send({ url, comment: 'Useful page.' }).expect(400);
      await rating(url).expect(400);
    });

    it('refuses a missing URL, unknown fields and a bad visitor id with 400', async () => {
      await request(t.http).get('/api/pages/rating').expect(400);
      await vote(page(), 3, 'short').expect(400);
      const res = await request(t.http).post('/api/pages/ratings').send({ url: page(), rating: 3, admin: true }).expect(400);
      expect(res.body.errors).toEqual([{ field: 'admin', message: expect.any(String) }]);
      await request(t.http).post('/api/pages/ratings').set('Content-Type', 'text/plain').send('rating=3').expect(415);
    });

    it('accepts every site in FEEDBACK_SITES', async () => {
      await vote(`https://news.charity.example/story-${Math.random()}`, 5, visitor()).expect(201);
    });
  });

  describe('CORS', () => {
    it('allows FEEDBACK_SITES origins, preflight included, and never credentials', async () => {
      const pre = await request(t.http).options('/api/pages/ratings')
        .set('Origin', SITE).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type')
        .expect(204);
      expect(pre.headers['access-control-allow-origin']).toBe(SITE);
      expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(pre.headers['access-control-allow-headers']).toMatch(/Content-Type/i);
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
      const get = await rating(page()).set('Origin', SITE).expect(200);
      expect(get.headers['access-control-allow-origin']).toBe(SITE);
      expect(get.headers.vary).toMatch(/Origin/);
      const post = await vote(page(), 4, visitor()).set('Origin', SITE).expect(201);
      expect(post.headers['access-control-allow-origin']).toBe(SITE);
    });

    it('refuses other origins: no CORS headers, and 403 for a preflight or a post', async () => {
      const pre = await request(t.http).options('/api/pages/ratings')
        .set('Origin', OTHER).set('Access-Control-Request-Method', 'POST').expect(403);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      const post = await vote(`${SITE}/x`, 4, visitor()).set('Origin', OTHER).expect(403);
      expect(post.headers['access-control-allow-origin']).toBeUndefined();
      await request(t.http).post('/api/pages/feedback').set('Origin', OTHER).send({ url: `${SITE}/x`, comment: 'Hello' }).expect(403);
      const get = await rating(`${SITE}/x`).set('Origin', OTHER).expect(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('gives no other API route CORS headers', async () => {
      const res = await request(t.http).get('/api/topics').set('Origin', SITE).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('comments', () => {
    const comment = (body: Record<string, unknown>, ip = '192.0.2.50') =>
      request(t.http).post('/api/pages/feedback').set('X-Forwarded-For', ip).send(body);
    const stored = async (url: string) => t.db.query(
      `SELECT comment, status, personal_data AS "personalData", spam_reason AS "spamReason" FROM page_comments WHERE page_url = $1`, [url]);

    it('keeps a comment and answers 201', async () => {
      const url = page();
      const res = await comment({ url, comment: 'The list of related documents is hard to scan.' }).expect(201);
      expect(res.body).toEqual({ status: 'received' });
      expect(await stored(url)).toEqual([{ comment: 'The list of related documents is hard to scan.', status: 'visible', personalData: [], spamReason: null }]);
    });

    it.each([
      ['an email address', 'Write to me at aisha.khan@example.org please', 'email_address'],
      ['a UK phone number', 'Ring me on 07700 900123 about my treatment', 'phone_number'],
      ['an NHS number with its check digit', 'My NHS number is 943 476 5919', 'nhs_number'],
      ['a postcode', 'I live in SW1A 1AA and waited months', 'postcode'],
    ])('hides a comment with %s until an officer chooses to see it', async (_what, text, flag) => {
      const url = page();
      await comment({ url, comment: text }).expect(201);
      expect(await stored(url)).toEqual([expect.objectContaining({ status: 'hidden', personalData: [flag] })]);
    });

    it('does not hide ten digits whose NHS check digit is wrong, or ordinary words', async () => {
      const url = page();
      await comment({ url, comment: 'Order 943 476 5918 of the report, section B12 was unclear' }).expect(201);
      expect(await stored(url)).toEqual([expect.objectContaining({ status: 'visible' })]);
    });

    it('keeps a comment with the honeypot filled as spam, with the same answer', async () => {
      const url = page();
      const res = await comment({ url, comment: 'Great page', website: 'http://spam.example' }).expect(201);
      expect(res.body).toEqual({ status: 'received' });
      expect(await stored(url)).toEqual([expect.objectContaining({ status: 'spam', spamReason: 'honeypot' })]);
    });

    it.each([
      ['empty', { comment: '' }],
      ['blank', { comment: '   \n ' }],
      ['over 2000 code points', { comment: '😀'.repeat(2001) }],
      ['with a NUL', { comment: 'hello\u0000there' }],
      ['not text', { comment: 42 }],
      ['missing', {}],
    ])('refuses a comment that is %s with 400', async (_what, body) => {
      const res = await comment({ url: page(), ...body }).expect(400);
      expect(res.body.errors).toEqual([{ field: 'comment', message: expect.any(String) }]);
    });

    it('accepts 2000 code points (emoji count once)', async () => {
      await comment({ url: page(), comment: '😀'.repeat(2000) }).expect(201);
    });
  });

  describe('rate limits', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await createTestApp({ env: { FEEDBACK_SITES: SITE, RATE_LIMIT_IP_PER_HOUR: '2', TRUST_PROXY: 'loopback' } });
    });
    afterAll(async () => limited.close());

    it('limits comments per address per hour (RATE_LIMIT_IP_PER_HOUR), not counting invalid ones', async () => {
      const send = (body: Record<string, unknown>, ip = '203.0.113.90') =>
        request(limited.http).post('/api/pages/feedback').set('X-Forwarded-For', ip).send(body);
      await send({ url: `${SITE}/a`, comment: '' }).expect(400);
      await send({ url: `${SITE}/a`, comment: 'One' }).expect(201);
      await send({ url: `${SITE}/a`, comment: 'Two' }).expect(201);
      const res = await send({ url: `${SITE}/a`, comment: 'Three' }).expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).toEqual({ statusCode: 429, message: expect.any(String) });
      await send({ url: `${SITE}/a`, comment: 'From elsewhere' }, '203.0.113.91').expect(201);
    });

    it('limits votes per address at ten times that', async () => {
      const send = (i: number) => request(limited.http).post('/api/pages/ratings').set('X-Forwarded-For', '203.0.113.92')
        .send({ url: `${SITE}/page-${i}`, rating: 3, visitorId: `visitor-number-${i}-abcdef` });
      for (let i = 0; i < 20; i++) await send(i).expect(201);
      await send(20).expect(429);
    });
  });

  describe('arbitrary input', () => {
    const send = async (path: string, body: string) => {
      const res = await request(t.http).post(path).set('Content-Type', 'application/json').send(body);
      if (res.status >= 500) throw new Error(`${res.status} for ${body.slice(0, 300)}: ${JSON.stringify(res.body)}`);
      if (res.status >= 400) expect(res.body).toEqual(expect.objectContaining({ statusCode: res.status, message: expect.any(String) }));
    };
    const valid = { '/api/pages/ratings': { url: `${SITE}/p`, rating: 3 }, '/api/pages/feedback': { url: `${SITE}/p`, comment: 'ok' } };
    const paths = Object.keys(valid) as (keyof typeof valid)[];

    it('never answers 5xx to any JSON value', async () => {
      await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), fc.jsonValue(), async (path, value) => {
        await send(path, JSON.stringify(value));
      }), { numRuns: 120 });
    });

    it('never answers 5xx when any field of a valid body holds any value', async () => {
      const fields = ['url', 'rating', 'visitorId', 'comment', 'website', 'extra'];
      await fc.assert(fc.asyncProperty(
        fc.constantFrom(...paths), fc.constantFrom(...fields),
        fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }), fc.webUrl(), fc.string({ unit: 'grapheme', maxLength: 2100 })),
        async (path, field, value) => {
          await send(path, JSON.stringify({ ...valid[path], [field]: value }));
        }), { numRuns: 200 });
    });

    it('never answers 5xx to any string as a body or as the rating query', async () => {
      await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), fc.string({ unit: 'binary', maxLength: 300 }), async (path, body) => {
        await send(path, body);
      }), { numRuns: 100 });
      await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary' }), fc.webUrl()), async (url) => {
        const res = await request(t.http).get('/api/pages/rating').query({ url });
        expect(res.status).toBeLessThan(500);
      }), { numRuns: 100 });
    });
  });

  describe('data protection of comments', () => {
    const address = `jo.bloggs.${Math.random().toString(36).slice(2, 8)}@example.org`;

    it('puts comments naming an address in its subject-access export, and erasure replaces the address', async () => {
      const admin = await createStaff(t, 'admin');
      const url = page();
      await request(t.http).post('/api/pages/feedback').send({ url, comment: `Please write to ${address} about this page` }).expect(201);
      await request(t.http).post('/api/pages/feedback').send({ url, comment: 'Nothing personal here' }).expect(201);
      const exported = await request(t.http).get(`/api/admin/data-subjects/${encodeURIComponent(address)}/export`).set('Authorization', admin.auth).expect(200);
      expect(exported.body.pageComments).toEqual([expect.objectContaining({ pageUrl: url, comment: `Please write to ${address} about this page`, status: 'hidden' })]);
      const erased = await request(t.http).delete(`/api/admin/data-subjects/${encodeURIComponent(address)}`).set('Authorization', admin.auth).expect(200);
      expect(erased.body).toMatchObject({ pageComments: 1 });
      const rows: { comment: string }[] = await t.db.query(`SELECT comment FROM page_comments WHERE page_url = $1 ORDER BY comment`, [url]);
      expect(rows.map((r) => r.comment)).toEqual(['Nothing personal here', 'Please write to [erased] about this page']);
    });

    it('anonymises comments older than RETENTION_MONTHS and forgets old votes\' visitor keys', async () => {
      const url = page();
      await request(t.http).post('/api/pages/feedback').send({ url, comment: 'An old comment' }).expect(201);
      await request(t.http).post('/api/pages/feedback').send({ url, comment: 'A new comment' }).expect(201);
      await request(t.http).post('/api/pages/ratings').send({ url, rating: 4, visitorId: visitor() }).expect(201);
      await t.db.query(`UPDATE page_comments SET created_at = now() - interval '25 months' WHERE comment = 'An old comment'`);
      await t.db.query(`UPDATE page_votes SET cast_at = now() - interval '3 days' WHERE page_url = $1`, [url]);
      const run = await t.app.get(RetentionService).run('manual');
      expect(run!.commentsAnonymisedCount).toBeGreaterThanOrEqual(1);
      const rows: { comment: string }[] = await t.db.query(`SELECT comment FROM page_comments WHERE page_url = $1 ORDER BY created_at`, [url]);
      expect(rows.map((r) => r.comment)).toEqual(['[anonymised]', 'A new comment']);
      const [vote] = await t.db.query(`SELECT visitor, rating FROM page_votes WHERE page_url = $1`, [url]);
      expect(vote).toEqual({ visitor: null, rating: 4 });
      expect((await rating(url)).body).toMatchObject({ votes: 1, average: 4 });
    });
  });

  describe('the daily digest', () => {
    it('names pages below 2.5 with at least 10 votes, and pages fallen by 0.5 against the 90 days before, once a day', async () => {
      const low = page('low');
      for (let i = 0; i < 10; i++) await vote(low, i < 8 ? 2 : 3, visitor()).expect(201); // 2.2 from 10
      const few = page('few');
      for (let i = 0; i < 9; i++) await vote(few, 1, visitor()).expect(201); // 9 votes: not named
      const fallen = page('fallen');
      for (let i = 0; i < 10; i++) await vote(fallen, 5, visitor()).expect(201);
      await t.db.query(`UPDATE page_votes SET updated_at = now() - interval '60 days', cast_at = now() - interval '60 days' WHERE page_url = $1`, [fallen]);
      for (let i = 0; i < 5; i++) await vote(fallen, 4, visitor()).expect(201); // 5.0 before, 4.0 in the last 30 days
      expect(await t.app.get(DigestService).sendPageFeedback()).toBe(1);
      expect(await t.app.get(DigestService).sendPageFeedback()).toBe(0);
      const [email] = await t.db.query(`SELECT recipient, subject, payload FROM outbound_emails WHERE payload->>'pageFeedback' = 'true'`);
      expect(email.recipient).toBe(t.config.teamInbox);
      const named = email.payload.pages.map((p: { url: string }) => p.url);
      expect(named).toEqual(expect.arrayContaining([low, fallen]));
      expect(named).not.toContain(few);
      expect(email.payload.pages.find((p: { url: string }) => p.url === fallen).reason).toBe('fell from 5.0 to 4.0 in the last 30 days');
      expect(email.subject).toMatch(/^Page feedback: \d+ pages need attention/);
    });
  });

  describe('logs', () => {
    it('never hold a voter\'s address: the request log keeps method, path and status only', async () => {
      const ip = '198.51.100.77';
      const url = `${SITE}/logged-page`;
      const { serializers } = logOptions(loadConfig({ NODE_ENV: 'test', FEEDBACK_SITES: SITE })).pinoHttp as {
        serializers: Record<string, (v: unknown) => unknown>;
      };
      const req = {
        id: 'r1', method: 'GET', url: `/api/pages/rating?url=${encodeURIComponent(url)}`, ip,
        headers: { 'x-forwarded-for': ip, origin: SITE }, socket: { remoteAddress: ip }, remoteAddress: ip,
      };
      const logged = JSON.stringify([serializers.req(req), serializers.res({ statusCode: 200, headers: {} }),
        serializers.err(Object.assign(new Error('Too many ratings from your connection. Please try again later.'), { ip }))]);
      expect(logged).not.toContain(ip);
      expect(logged).not.toContain('logged-page');
      // And the feedback code itself logs nothing about a request.
      const files = readdirSync(join(ROOT, 'src/feedback')).map((f) => readFileSync(join(ROOT, 'src/feedback', f), 'utf8'));
      expect(files.join('\n')).not.toMatch(/\blog(ger)?\.(log|warn|error|debug|info|verbose)\(/i);
    });
  });
});
