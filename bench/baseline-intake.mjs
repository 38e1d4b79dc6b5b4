// BASELINE for `npm run bench:intake`, not part of the product: the least a server can do for
// POST /api/inquiries. node:http + pg, the same field rules (written out plainly) and the same durable
// work: one INSERT statement that writes the inquiry and its two outbox rows in one commit.
// Env: PORT, DATABASE_URL, TEAM_INBOX, MAIL_DOMAIN, APP_SECRET, POOL_SIZE (default 20, the app's pool size).
import { createServer } from 'node:http';
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import isEmail from 'validator/lib/isEmail.js';
import isURL from 'validator/lib/isURL.js';

const PORT = Number(process.env.PORT ?? 3100);
const TEAM_INBOX = process.env.TEAM_INBOX ?? 'policy-team@localhost';
const MAIL_DOMAIN = process.env.MAIL_DOMAIN ?? 'localhost';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 20) });

// The statement src/inquiries/inquiries.service.ts sends (INSERT_SUBMISSION), copied as is.
const INSERT_SUBMISSION = `
WITH t AS (
  SELECT key, coalesce(mailbox, $18) AS mailbox FROM topics WHERE key = $7 AND active
), k AS (
  INSERT INTO idempotency_keys (key, request_hash, inquiry_id)
  SELECT $16::text, $17::text, $1::uuid FROM t WHERE $16::text IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET request_hash = EXCLUDED.request_hash, inquiry_id = EXCLUDED.inquiry_id, created_at = now()
    WHERE idempotency_keys.created_at < now() - interval '24 hours'
  RETURNING 1
), i AS (
  INSERT INTO inquiries (id, reference, name, email, organisation, enquirer_type, topic_key, subject, message,
                         source_url, consent, status, spam_reason, channel, expected_response_by, sensitive_flags)
  SELECT $1, $2, $3, $4, $5, $6, t.key, $8, $9, $10, true, CASE WHEN $11::text IS NULL THEN 'new' ELSE 'spam' END,
         $11, $12, $13::date, $21::text[]
  FROM t WHERE $16::text IS NULL OR EXISTS (SELECT 1 FROM k)
  RETURNING id, reference, status, created_at, expected_response_by
), e AS (
  INSERT INTO outbound_emails (id, kind, inquiry_id, recipient, subject, message_id, reply_to)
  SELECT $14::uuid, 'acknowledgement', i.id, $4, 'Your question to the policy team [' || i.reference || ']',
         '<' || $14 || '@' || $19 || '>', $20::text
  FROM i WHERE i.status <> 'spam'
  UNION ALL
  SELECT $15::uuid, 'routing', i.id, t.mailbox, '[' || i.reference || '] ' || $8,
         '<' || $15 || '@' || $19 || '>', $4
  FROM i, t WHERE i.status <> 'spam'
)
SELECT id, reference, to_char(expected_response_by, 'YYYY-MM-DD') AS expected_response_by, created_at FROM i`;

// ---- validation: SPEC §3.2, the same rules as CreateInquiryDto ----
const FIELDS = new Set(['name', 'email', 'organisation', 'enquirerType', 'topic', 'subject', 'message', 'sourceUrl', 'consent', 'website']);
const ENQUIRER_TYPES = new Set(['public', 'health_professional', 'researcher', 'journalist', 'parliamentary', 'charity', 'industry', 'other']);
const SINGLE_LINE = /^[^\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]*$/u;
const MULTI_LINE = /^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$/;
const codePoints = (s) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

let topics = new Map();
async function loadTopics() {
  const { rows } = await pool.query('SELECT key, response_target_days FROM topics WHERE active');
  topics = new Map(rows.map((r) => [r.key, r.response_target_days]));
}

function validate(b) {
  const errors = [];
  const bad = (field, message) => errors.push({ field, message });
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return [{ field: 'body', message: 'must be a JSON object' }];
  for (const k of Object.keys(b)) if (!FIELDS.has(k)) bad(k, `${k} is not a field this request accepts`);
  const text = (field, min, max, pattern, optional = false) => {
    const v = b[field];
    if (v === undefined && optional) return;
    if (typeof v !== 'string') return bad(field, `${field} must be text`);
    const len = codePoints(v);
    if (len < min || len > max) return bad(field, `${field} must be between ${min} and ${max} characters`);
    if (pattern && !pattern.test(v)) bad(field, `${field} must not contain control characters`);
  };
  text('name', 1, 200, SINGLE_LINE);
  if (typeof b.email !== 'string' || b.email.length > 254 || !isEmail(b.email) || !SINGLE_LINE.test(b.email)) bad('email', 'email must be a valid email address');
  text('organisation', 0, 200, SINGLE_LINE, true);
  if (!ENQUIRER_TYPES.has(b.enquirerType)) bad('enquirerType', 'enquirerType is not one of the types');
  if (typeof b.topic !== 'string' || !topics.has(b.topic)) bad('topic', 'topic must be one of the keys listed by GET /api/topics');
  text('subject', 1, 200, SINGLE_LINE);
  text('message', 10, 5000, MULTI_LINE);
  if (b.sourceUrl !== undefined && (typeof b.sourceUrl !== 'string' || b.sourceUrl.length > 2048 ||
      !isURL(b.sourceUrl, { protocols: ['http', 'https'], require_protocol: true, require_tld: false }))) {
    bad('sourceUrl', 'sourceUrl must be an http or https URL');
  }
  if (b.consent !== true) bad('consent', 'consent must be true');
  if (b.website !== undefined && (typeof b.website !== 'string' || b.website.length > 2048)) bad('website', 'website must be text');
  return errors;
}

// The same spam rules as src/inquiries/spam.ts: spam is stored, marked, and gets no email.
const KNOWN_BAD = [
  /\b(viagra|cialis|casino|porn|escort|payday loan|bitcoin (?:doubler|investment)|forex signals?)\b/i,
  /\b(seo|backlinks?|guest posts?)\b.{0,60}\b(services?|packages?|rank|traffic)\b/i,
  /(https?:\/\/[^\s]+[\s\S]*){6,}/i,
  /\[url=|<a\s+href=/i,
];
function spamReason(b) {
  if (b.website && b.website.trim() !== '') return 'honeypot';
  const text = `${b.subject}\n${b.message}\n${b.name}`;
  return KNOWN_BAD.some((p) => p.test(text)) ? 'known-bad' : null;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function reference() {
  let s = 'POL-';
  for (let i = 0; i < 6; i++) s += ALPHABET[randomInt(32)];
  return s;
}

/** Weekdays only: the baseline skips the bank-holiday calendar (a cached lookup in the app). */
function expectedBy(days) {
  const d = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  while (days > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const dow = d.getUTCDay();
    if (dow !== 0 && dow !== 6) days--;
  }
  return d.toISOString().slice(0, 10);
}

/** The acknowledgement's signed Reply-To, as the app writes it. */
const SECRET = process.env.APP_SECRET ?? 'baseline-secret';
const replyAddress = (ref) =>
  `reply+${ref}.${createHmac('sha256', SECRET).update(`reply-address:${ref}`).digest('hex').slice(0, 16)}@${MAIL_DOMAIN}`;

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function create(req, res) {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, { statusCode: 415, message: 'Send JSON' });
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) return send(res, 413, { statusCode: 413, message: 'Body over 64 KiB' });
    chunks.push(chunk);
  }
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return send(res, 400, { statusCode: 400, message: 'The request body is not valid JSON' });
  }
  const errors = validate(body);
  if (errors.length) return send(res, 400, { statusCode: 400, message: 'Check the fields', errors });
  const spam = spamReason(body);
  const ref = reference();
  const { rows } = await pool.query(INSERT_SUBMISSION, [
    randomUUID(), ref, body.name, body.email, body.organisation ?? null, body.enquirerType, body.topic,
    body.subject, body.message, body.sourceUrl ?? null, spam, 'api', expectedBy(topics.get(body.topic)),
    randomUUID(), randomUUID(), null, null, TEAM_INBOX, MAIL_DOMAIN, replyAddress(ref), [],
  ]);
  const r = rows[0];
  send(res, 201, { id: r.id, reference: r.reference, status: 'received', expectedResponseBy: r.expected_response_by, createdAt: r.created_at.toISOString() });
}

await loadTopics();
setInterval(() => loadTopics().catch(() => undefined), 5_000).unref();
createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/api/inquiries') {
    create(req, res).catch(() => send(res, 500, { statusCode: 500, message: 'Internal error' }));
  } else if (req.method === 'GET' && req.url === '/health') {
    send(res, 200, { status: 'ok' });
  } else {
    send(res, 404, { statusCode: 404, message: 'Not found' });
  }
}).listen(PORT, '127.0.0.1', () => process.stdout.write(`baseline listening on 127.0.0.1:${PORT}\n`));
