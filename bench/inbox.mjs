// `npm run bench:inbox`: the staff inbox at 1,000,000 inquiries (SPEC §7). Seeds a bench database with one
// INSERT … SELECT … FROM generate_series, starts the built app in this process on a free port, and prints p50/p95
// over sequential requests for a filtered first page, a cursor page deep in the list, full-text searches, and
// the naive baseline: the same deep page by OFFSET in raw SQL. Targets: pages p95 <= 25 ms, full text p95 <= 100 ms.
// Then the staff web pages (SPEC §7, §8), signed in with a session cookie, server time to the last byte: the inbox
// list and the inquiry page p95 <= 50 ms (inquiries of the sample get a conversation: two replies, an answer, notes,
// emails and audit entries).
// Flags: --keep (or BENCH_KEEP_DB=1) keeps the database afterwards; --reuse (BENCH_REUSE_DB=1) reuses a kept one
// (migrations still run, so new indexes apply). Env: BENCH_INQUIRIES (1000000), BENCH_REQUESTS (200).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  ROOT, databaseUrl, dropDatabase, freePort, migrate, query, recreateDatabase, requireBuilt, withAdmin, writeResult,
} from './support/harness.mjs';

const DB = process.env.BENCH_INBOX_DB ?? 'policy_inbox_bench_inbox';
const KEEP = process.argv.includes('--keep') || process.env.BENCH_KEEP_DB === '1';
const REUSE = process.argv.includes('--reuse') || process.env.BENCH_REUSE_DB === '1';
const ROWS = Number(process.env.BENCH_INQUIRIES ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const WARMUP = 30;
const TARGET = { pageP95Ms: 25, searchP95Ms: 100, staffPageP95Ms: 50 };
const PAGE_SAMPLE = 200;
const BENCH_PASSWORD = 'bench inbox password 0123';

const dist = (file) => import(pathToFileURL(join(ROOT, 'dist', file)).href);
const sqlList = (xs) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(', ')}]`;

const FIRST = ['Aisha', 'Ben', 'Chloe', 'David', 'Emma', 'Farah', 'George', 'Hannah', 'Imran', 'Jack', 'Katie', 'Liam', 'Maya',
  'Noah', 'Olivia', 'Priya', 'Rhys', 'Sophie', 'Tom', 'Uma', 'Victor', 'Wei', 'Yusuf', 'Zara', 'Siobhan', 'Gareth', 'Niamh', 'Callum'];
const LAST = ['Khan', 'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Roberts', 'Patel',
  'Johnson', 'Walker', 'Wright', 'Robinson', 'Thompson', 'White', 'Hughes', 'Edwards', 'Green', 'Hall', 'Wood', 'Harris', 'Lewis',
  'Martin', 'Jackson', 'Clarke', 'Clark', 'Turner', 'Hill', 'Scott', 'Cooper', 'Morris', 'Ward', 'Moore', 'King', 'Watson'];
const DOMAINS = ['example.org', 'nhs.example', 'mail.example', 'uni.example.ac.uk', 'parliament.example', 'news.example'];
const ORGS = ['Example Health Trust', 'University of Example', 'Example Gazette', 'Office of an MP', 'Example Hospice', 'Example Pharma'];
const SUBJECTS = ['Two-week wait referrals', 'Lung cancer screening', 'Bowel screening age', 'Radiotherapy capacity', 'Smoking and vaping',
  'Research funding cuts', 'Cancer nurse numbers', 'Waiting time statistics', 'Alcohol labelling', 'Junk food advertising',
  'Clinical trials access', 'Diagnostic centres', 'Childhood cancer research', 'Data sharing and privacy', 'Cancer plan for England',
  'Prostate cancer screening', 'Breast screening invitations', 'HPV vaccination', 'Sunbeds and skin cancer', 'Palliative care funding'];
const SENTENCES = [
  'I am writing about the waiting times for treatment in my area.',
  'My constituent has asked about access to diagnostic tests and scans.',
  'Could you share the latest figures on the sixty-two day target?',
  'We are researching how screening uptake differs between regions.',
  'Our readers want to know what the charity thinks of the new cancer plan.',
  'The trust has struggled to recruit oncologists and specialist nurses.',
  'Is there evidence that vaping helps people stop smoking for good?',
  'What is your position on minimum unit pricing for alcohol?',
  'Please explain how research funding decisions are made.',
  'I would like to understand the role of community diagnostic centres.',
  'Patients tell us that radiotherapy appointments are hard to get.',
  'How does the charity use patient data, and who can see it?',
  'We would welcome a briefing ahead of the parliamentary debate.',
  'Could the team comment on workforce shortages in pathology?',
  'I have seen reports that early diagnosis rates have stalled.',
  'Is the national screening programme reaching people in deprived areas?',
  'Our members are concerned about delays in chemotherapy.',
  'What would a tobacco-free generation policy mean in practice?',
  'Can you point me to your published evidence on obesity and cancer risk?',
  'Thank you for any help you can give.',
];
const PLACES = ['Cumbria', 'Cornwall', 'Norfolk', 'Kent', 'Devon', 'Essex', 'Yorkshire', 'Lancashire', 'Merseyside', 'Birmingham',
  'Leicester', 'Nottingham', 'Bristol', 'Sheffield', 'Newcastle', 'Sunderland', 'Plymouth', 'Swindon', 'Oxford', 'Cambridge',
  'Luton', 'Reading', 'Brighton', 'Hull', 'Derby', 'Stoke', 'Wolverhampton', 'Coventry', 'Bradford', 'Leeds'];
const TOPICS = ['waiting-times', 'early-diagnosis', 'prevention', 'research-funding', 'workforce', 'data', 'other'];
const ENQUIRERS = ['public', 'health_professional', 'researcher', 'journalist', 'parliamentary', 'charity', 'industry', 'other'];
const STAFF = 20;

/**
 * One statement: a million inquiries spread over three years, newest work mostly unfinished and old work mostly
 * resolved; varied names, topics, priorities, assignees, subjects and messages (a vocabulary of a few hundred words,
 * plus a place name and a rarer code word per message for selective searches).
 */
const SEED = `
WITH staff_ids AS (SELECT array_agg(id ORDER BY email) AS ids FROM staff),
src AS (
  SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
         now() - (${ROWS} - g) * interval '95 seconds' - random() * interval '90 seconds' AS created
  FROM generate_series(1, ${ROWS}) g
), shaped AS (
  SELECT src.*,
    CASE
      WHEN g > ${ROWS} - 3000 THEN CASE WHEN r1 < 0.35 THEN 'new' WHEN r1 < 0.65 THEN 'open' WHEN r1 < 0.85 THEN 'waiting' WHEN r1 < 0.95 THEN 'resolved' ELSE 'spam' END
      WHEN g > ${ROWS} - 30000 THEN CASE WHEN r1 < 0.03 THEN 'new' WHEN r1 < 0.15 THEN 'open' WHEN r1 < 0.27 THEN 'waiting' WHEN r1 < 0.95 THEN 'resolved' ELSE 'spam' END
      ELSE CASE WHEN r1 < 0.005 THEN 'open' WHEN r1 < 0.01 THEN 'waiting' WHEN r1 < 0.95 THEN 'resolved' ELSE 'spam' END
    END AS status
  FROM src
)
INSERT INTO inquiries (id, reference, name, email, organisation, enquirer_type, topic_key, subject, message, consent, status,
                       priority, assignee_id, tags, channel, expected_response_by, first_response_at, resolved_at, version,
                       created_at, updated_at)
SELECT
  gen_random_uuid(),
  'POL-' || ${[5, 4, 3, 2, 1, 0].map((k) => `substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (((g::bigint * 7919) >> ${5 * k}) % 32)::int + 1, 1)`).join(' || ')},
  f.first || ' ' || l.last,
  lower(f.first) || '.' || lower(l.last) || '.' || g || '@' || (${sqlList(DOMAINS)})[1 + g % ${DOMAINS.length}],
  CASE WHEN r2 < 0.5 THEN NULL ELSE (${sqlList(ORGS)})[1 + g % ${ORGS.length}] END,
  (${sqlList(ENQUIRERS)})[1 + floor(r3 * ${ENQUIRERS.length})::int],
  (${sqlList(TOPICS)})[1 + floor(r2 * r2 * ${TOPICS.length})::int],
  (${sqlList(SUBJECTS)})[1 + floor(r4 * ${SUBJECTS.length})::int] || CASE WHEN r5 < 0.3 THEN ' in ' || (${sqlList(PLACES)})[1 + g % ${PLACES.length}] ELSE '' END,
  (${sqlList(SENTENCES)})[1 + floor(r3 * ${SENTENCES.length})::int] || ' ' ||
    (${sqlList(SENTENCES)})[1 + floor(r4 * ${SENTENCES.length})::int] || ' We are based in ' ||
    (${sqlList(PLACES)})[1 + (g / 7) % ${PLACES.length}] || '. ' ||
    (${sqlList(SENTENCES)})[1 + floor(r5 * ${SENTENCES.length})::int] || ' Ref code ' || 'k' || (g % 5000)::text || 'q.',
  true,
  status,
  CASE WHEN r4 < 0.1 THEN 'low' WHEN r4 < 0.8 THEN 'normal' WHEN r4 < 0.95 THEN 'high' ELSE 'urgent' END,
  CASE WHEN status = 'new' OR status = 'spam' OR r5 < 0.15 THEN NULL ELSE (SELECT ids FROM staff_ids)[1 + g % ${STAFF}] END,
  CASE WHEN r5 < 0.05 THEN ARRAY['press'] WHEN r5 < 0.08 THEN ARRAY['mp', 'urgent-briefing'] ELSE '{}'::text[] END,
  CASE WHEN r1 < 0.6 THEN 'form' ELSE 'api' END,
  (created AT TIME ZONE 'Europe/London')::date + 14,
  CASE WHEN status IN ('waiting', 'resolved') THEN created + r2 * interval '6 days' END,
  CASE WHEN status = 'resolved' THEN created + interval '6 days' + r3 * interval '20 days' END,
  1 + floor(r3 * 4)::int,
  created,
  created
FROM shaped
JOIN LATERAL (SELECT (${sqlList(FIRST)})[1 + g % ${FIRST.length}] AS first) f ON true
JOIN LATERAL (SELECT (${sqlList(LAST)})[1 + (g / ${FIRST.length}) % ${LAST.length}] AS last) l ON true`;

async function seed(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET synchronous_commit = off`);
    await c.query(`SET maintenance_work_mem = '1GB'`);
    await c.query(`SET max_parallel_maintenance_workers = 2`);
    const staff = Array.from({ length: STAFF }, (_, i) => [randomUUID(), `officer${String(i).padStart(2, '0')}@charity.example`, `Officer ${i}`]);
    for (const [id, email, name] of staff) {
      await c.query(`INSERT INTO staff (id, email, name, role) VALUES ($1, $2, $3, 'officer')`, [id, email, name]);
    }
    // Build the secondary indexes once, after the load, from the migrations' own definitions (much faster than
    // maintaining them row by row); the primary key and unique constraints stay.
    const { rows: indexes } = await c.query(`
      SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename = 'inquiries'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)`);
    for (const { indexname } of indexes) await c.query(`DROP INDEX "${indexname}"`);
    let t = Date.now();
    await c.query(SEED);
    const insertS = (Date.now() - t) / 1000;
    t = Date.now();
    for (const { indexdef } of indexes) await c.query(indexdef);
    const indexS = (Date.now() - t) / 1000;
    t = Date.now();
    await c.query(`VACUUM ANALYZE inquiries`);
    await c.query(`ANALYZE staff`);
    console.log(`inbox: seeded ${ROWS.toLocaleString('en-GB')} inquiries: insert ${insertS.toFixed(1)} s, ${indexes.length} indexes ${indexS.toFixed(1)} s, vacuum analyze ${((Date.now() - t) / 1000).toFixed(1)} s`);
  } finally {
    await c.end();
  }
}

/**
 * A realistic conversation on PAGE_SAMPLE recent unfinished inquiries (the ones the inquiry page is timed on): the
 * acknowledgement and routing emails, two staff replies with their emails, an answer from the enquirer, two internal
 * notes and four audit entries each. Returns their references.
 */
async function seedConversations(c) {
  const { rows } = await c.query(`
    WITH sample AS (
      SELECT id, email, created_at, (SELECT id FROM staff ORDER BY email LIMIT 1) AS staff_id FROM inquiries
      WHERE status IN ('new', 'open', 'waiting') ORDER BY created_at DESC LIMIT $1),
    emails AS (
      INSERT INTO outbound_emails (id, kind, inquiry_id, recipient, subject, message_id, status, sent_at, created_at)
      SELECT gen_random_uuid(), k.kind, s.id, s.email, 'Re: your question', gen_random_uuid() || '@bench.localhost',
             CASE WHEN k.n = 4 THEN 'failed' ELSE 'sent' END, s.created_at + k.n * interval '1 hour', s.created_at + k.n * interval '1 hour'
      FROM sample s CROSS JOIN (VALUES ('acknowledgement', 0), ('routing', 0), ('reply', 3), ('reply', 4)) AS k(kind, n)
      RETURNING id, inquiry_id, kind, created_at),
    replies AS (
      INSERT INTO conversation_messages (id, inquiry_id, direction, body, staff_id, outbound_email_id, created_at)
      SELECT gen_random_uuid(), e.inquiry_id, 'outbound', repeat('Thank you for your question about cancer services. ', 12),
             (SELECT staff_id FROM sample LIMIT 1), e.id, e.created_at
      FROM emails e WHERE e.kind = 'reply'
      UNION ALL
      SELECT gen_random_uuid(), s.id, 'inbound', repeat('Thank you, could you tell me more about the waiting times? ', 6), NULL, NULL,
             s.created_at + interval '3 hours 30 minutes'
      FROM sample s
      RETURNING 1),
    notes AS (
      INSERT INTO inquiry_notes (id, inquiry_id, staff_id, body, created_at)
      SELECT gen_random_uuid(), s.id, s.staff_id, 'Checked the figures with the analysis team. ' || n, s.created_at + n * interval '2 hours'
      FROM sample s CROSS JOIN generate_series(1, 2) n
      RETURNING 1),
    audit AS (
      INSERT INTO audit_events (id, inquiry_id, actor_id, actor_email, action, changes, created_at)
      SELECT gen_random_uuid(), s.id, s.staff_id, 'officer00@charity.example', a.action, a.changes::jsonb, s.created_at + a.n * interval '1 hour'
      FROM sample s CROSS JOIN (VALUES
        ('inquiry.updated', '{"status":{"from":"new","to":"open"}}', 1),
        ('inquiry.updated', '{"assigneeId":{"from":null,"to":"x"}}', 2),
        ('note.added', '{"note":{"from":null,"to":"x"}}', 2),
        ('reply.sent', '{"status":{"from":"open","to":"waiting"}}', 3)) AS a(action, changes, n)
      RETURNING 1)
    SELECT i.reference FROM sample s JOIN inquiries i ON i.id = s.id,
      (SELECT count(*) FROM replies) r, (SELECT count(*) FROM notes) n, (SELECT count(*) FROM audit) a`, [PAGE_SAMPLE]);
  await c.query(`ANALYZE outbound_emails; ANALYZE conversation_messages; ANALYZE inquiry_notes; ANALYZE audit_events`);
  return rows.map((r) => r.reference);
}

/** Signs in on the web like a browser (the form, its CSRF cookie and field) and returns the session's Cookie header. */
async function webSession(origin, email, password) {
  const cookies = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${origin}/admin/login`);
  keep(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  const res = await fetch(`${origin}/admin/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf ?? '', email, password }).toString(),
  });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`web sign-in answered ${res.status}`);
  keep(res);
  return header();
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function measure(label, fn) {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const times = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const r = { label, p50: pct(times, 50), p95: pct(times, 95) };
  console.log(`inbox: ${label.padEnd(58)} p50 ${r.p50.toFixed(1).padStart(7)} ms   p95 ${r.p95.toFixed(1).padStart(7)} ms`);
  return r;
}

async function explain(c, label, sql, params) {
  const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
  console.log(`\n-- plan: ${label}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
}

async function main() {
  requireBuilt('dist/app.setup.js');
  // Loaded before the long seed, so a rebuild of dist/ meanwhile cannot pull the app from under the benchmark.
  const { loadConfig } = await dist('config/app-config.js');
  const { createApp } = await dist('app.setup.js');
  const { TokensService } = await dist('auth/tokens.service.js');
  const { encodeCursor } = await dist('admin/inbox/inbox-list.service.js');
  const { hashPassword } = await dist('auth/passwords.js');
  const url = databaseUrl(DB);
  const started = Date.now();
  const exists = await withAdmin(async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB])).rowCount > 0);
  let reused = false;
  if (REUSE && exists) {
    await migrate(url);
    const [{ n }] = await query(url, `SELECT count(*)::int AS n FROM inquiries`);
    reused = n >= ROWS;
    if (reused) console.log(`inbox: reusing ${DB} (${n.toLocaleString('en-GB')} inquiries)`);
  }
  if (!reused) {
    await recreateDatabase(DB);
    await migrate(url);
    await seed(url);
  }

  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'production', APP_SECRET: 'bench-inbox-secret-0123456789abcdefghijkl', PORT: String(port), DATABASE_URL: url,
    QUEUE_PREFIX: `policy-inbox-bench-inbox-${process.pid}`, WORKERS: 'off', LOG_LEVEL: 'warn', MAIL_DOMAIN: 'bench.localhost',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  });
  const app = await createApp(config);
  await app.listen(port, '127.0.0.1');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const results = [];
  let floorResult = null;
  try {
    const [me] = (await c.query(`SELECT id, token_version FROM staff ORDER BY email LIMIT 1`)).rows;
    const token = await app.get(TokensService).sign(me.id, me.token_version);
    const base = `http://127.0.0.1:${port}/api/admin/inquiries`;
    const get = async (qs) => {
      const res = await fetch(`${base}?${qs}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`GET ?${qs} answered ${res.status}: ${JSON.stringify(body)}`);
      return body;
    };

    const depth = Math.floor(ROWS / 2);
    const [deep] = (await c.query(`
      SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at, id
      FROM inquiries ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`, [depth - 1])).rows;
    const cursor = encodeCursor({ at: deep.at, id: deep.id });
    const sameDeepPage = await get(`limit=25&cursor=${cursor}`);
    const offsetSql = `SELECT id, reference, name, email, organisation, enquirer_type, topic_key, subject, status, priority,
                              assignee_id, tags, expected_response_by, created_at, updated_at
                       FROM inquiries ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 25`;
    const offsetRows = (await c.query(offsetSql, [depth])).rows;
    if (offsetRows[0].id !== sameDeepPage.items[0].id) throw new Error('the cursor page and the OFFSET page differ');

    const emails = (await c.query(`SELECT email FROM inquiries TABLESAMPLE SYSTEM (1) LIMIT 100`)).rows.map((r) => r.email);
    const cases = [
      { label: 'filtered first page (status=open&topic=workforce)', qs: () => 'status=open&topic=workforce', target: TARGET.pageP95Ms },
      { label: 'filtered first page (assignee=me&status=waiting)', qs: () => 'assignee=me&status=waiting', target: TARGET.pageP95Ms },
      { label: 'filtered first page (overdue=true)', qs: () => 'overdue=true', target: TARGET.pageP95Ms },
      { label: 'filtered first page (priority=urgent&topic=data)', qs: () => 'priority=urgent&topic=data', target: TARGET.pageP95Ms },
      { label: `cursor page at row ${depth.toLocaleString('en-GB')} (no filter)`, qs: () => `limit=25&cursor=${cursor}`, target: TARGET.pageP95Ms },
      { label: 'full text, selective (q=k1234q)', qs: (i) => `q=k${1000 + (i % 3000)}q`, target: TARGET.searchP95Ms },
      { label: 'full text, a place (q=Cumbria)', qs: () => 'q=Cumbria', target: TARGET.searchP95Ms },
      { label: 'full text, two common words (q=screening programme)', qs: () => 'q=screening%20programme', target: TARGET.searchP95Ms },
      { label: 'full text + filter (q=radiotherapy&status=open)', qs: () => 'q=radiotherapy&status=open', target: TARGET.searchP95Ms },
      { label: 'exact email (q=<address>)', qs: (i) => `q=${encodeURIComponent(emails[i % emails.length])}`, target: TARGET.searchP95Ms },
    ];
    // The floor: what any request costs in this process on this machine right now (no SQL; topics are cached).
    const floor = await measure('floor: GET /api/topics (no SQL, for scale)', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/topics`);
      await res.arrayBuffer();
    });
    floorResult = { p50: floor.p50, p95: floor.p95 };
    for (const k of cases) {
      const r = await measure(k.label, (i) => get(k.qs(i)));
      results.push({ benchmark: `inbox: ${k.label} p95 (ms)`, ours: r.p95, p50: r.p50, baseline: null, ratio: null, target: `<= ${k.target} ms`, pass: r.p95 <= k.target });
    }

    // The staff pages, as a signed-in officer's browser asks for them (HTML, to the last byte).
    const references = await seedConversations(c);
    const [meStaff] = (await c.query(`UPDATE staff SET password_hash = $2 WHERE id = $1 RETURNING email`, [me.id, await hashPassword(BENCH_PASSWORD)])).rows;
    const origin = `http://127.0.0.1:${port}`;
    const cookie = await webSession(origin, meStaff.email, BENCH_PASSWORD);
    const page = async (path) => {
      const res = await fetch(`${origin}${path}`, { headers: { cookie }, redirect: 'manual' });
      const html = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${html.slice(0, 200)}`);
      return html;
    };
    const pages = [
      { label: 'page: inbox, All open (GET /admin/inbox)', path: () => '/admin/inbox' },
      { label: 'page: inbox, Unassigned', path: () => '/admin/inbox?view=unassigned' },
      { label: 'page: inbox, Mine + topic filter', path: () => '/admin/inbox?view=mine&topic=workforce' },
      { label: 'page: inbox, Resolved', path: () => '/admin/inbox?view=resolved' },
      { label: 'page: inbox, search (q=Cumbria)', path: () => '/admin/inbox?q=Cumbria' },
      { label: `page: inquiry (GET /admin/inquiries/<ref>, ${PAGE_SAMPLE} with conversations)`, path: (i) => `/admin/inquiries/${references[i % references.length]}` },
    ];
    for (const k of pages) {
      const r = await measure(k.label, (i) => page(k.path(i)));
      results.push({ benchmark: `inbox: ${k.label} p95 (ms)`, ours: r.p95, p50: r.p50, baseline: null, ratio: null, target: `<= ${TARGET.staffPageP95Ms} ms`, pass: r.p95 <= TARGET.staffPageP95Ms });
    }

    const base50 = await measure(`baseline: same deep page by OFFSET ${depth.toLocaleString('en-GB')} (raw SQL)`, () => c.query(offsetSql, [depth]));
    const cursorRow = results.find((r) => r.benchmark.includes('cursor page'));
    cursorRow.baseline = base50.p95;
    cursorRow.ratio = base50.p95 / cursorRow.ours;

    if (!process.argv.includes('--no-plans')) {
      const today = new Date().toISOString().slice(0, 10);
      const list = `SELECT i.id FROM inquiries i LEFT JOIN staff s ON s.id = i.assignee_id`;
      await explain(c, 'status=open&topic=workforce', `${list} WHERE i.status = $1 AND i.topic_key = $2 ORDER BY i.created_at DESC, i.id DESC LIMIT 26`, ['open', 'workforce']);
      await explain(c, 'overdue=true', `${list} WHERE i.status NOT IN ('resolved','spam') AND i.expected_response_by < $1::date ORDER BY i.created_at DESC, i.id DESC LIMIT 26`, [today]);
      await explain(c, 'deep cursor page', `${list} WHERE (i.created_at, i.id) < ($1::timestamptz, $2::uuid) ORDER BY i.created_at DESC, i.id DESC LIMIT 26`, [`${deep.at}Z`, deep.id]);
      await explain(c, 'q=Cumbria', `${list} WHERE i.search @@ websearch_to_tsquery('simple', $1) ORDER BY i.created_at DESC, i.id DESC LIMIT 26`, ['Cumbria']);
      await explain(c, 'q=k1234q', `${list} WHERE i.search @@ websearch_to_tsquery('simple', $1) ORDER BY i.created_at DESC, i.id DESC LIMIT 26`, ['k1234q']);
      await explain(c, 'baseline OFFSET', offsetSql, [depth]);
    }
  } finally {
    await c.end();
    await app.close();
    if (!KEEP) await dropDatabase(DB);
  }
  writeResult('inbox', { rows: results, floor: floorResult, inquiries: ROWS, requests: REQUESTS, seconds: (Date.now() - started) / 1000 });
  const misses = results.filter((r) => !r.pass);
  console.log(`\ninbox: ${misses.length ? `MISSED ${misses.length} target(s)` : 'every target met'}${KEEP ? ` (kept database ${DB})` : ''}`);
  process.exitCode = misses.length ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
