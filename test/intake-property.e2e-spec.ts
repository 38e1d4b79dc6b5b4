import fc from 'fast-check';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { validInquiry } from './support/factories.js';

/** Whatever a stranger sends, the answer is never a 5xx. */
describe('POST /api/inquiries with arbitrary input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const FIELDS = ['name', 'email', 'organisation', 'enquirerType', 'topic', 'subject', 'message', 'sourceUrl', 'consent', 'website'];

  const send = async (body: string, headers: Record<string, string> = {}) => {
    const req = request(t.http).post('/api/inquiries').set('Content-Type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    const res = await req.send(body);
    if (res.status >= 500) throw new Error(`${res.status} for ${JSON.stringify(body).slice(0, 300)}: ${JSON.stringify(res.body)}`);
    if (res.status >= 400) expect(res.body).toEqual(expect.objectContaining({ statusCode: res.status, message: expect.any(String) }));
    return res;
  };

  it('answers 4xx (or 201) to any JSON value', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), async (value) => {
      await send(JSON.stringify(value));
    }), { numRuns: 150 });
  });

  it('answers 4xx (or 201) when any field of a valid inquiry holds any value', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...FIELDS), fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 6000 })), async (field, value) => {
      await send(JSON.stringify({ ...validInquiry(), [field]: value }));
    }), { numRuns: 250 });
  });

  it('answers 4xx to any string as a body', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 500 }), async (body) => {
      await send(body);
    }), { numRuns: 150 });
  });

  it('answers 4xx (or 201) to any Idempotency-Key', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }).filter((s) => /^[\t\x20-\x7e]+$/.test(s) && s.trim() === s), async (key) => {
      await send(JSON.stringify(validInquiry()), { 'Idempotency-Key': key });
    }), { numRuns: 100 });
  });
});
