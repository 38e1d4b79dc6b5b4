import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';

describe('GET /health', () => {
  it('is 200 with database and redis up', async () => {
    const t = await createTestApp();
    try {
      const res = await request(t.http).get('/health').expect(200);
      expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
    } finally {
      await t.close();
    }
  });

  it('is 503 naming Redis when Redis cannot be reached', async () => {
    const t = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const res = await request(t.http).get('/health').expect(503);
      expect(res.body.statusCode).toBe(503);
      expect(JSON.stringify(res.body)).toMatch(/redis/i);
    } finally {
      await t.close();
    }
  });

  it('serves the OpenAPI document covering /api and /health', async () => {
    const t = await createTestApp();
    try {
      const res = await request(t.http).get('/api/docs-json').expect(200);
      expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/health', '/api/topics', '/api/inquiries']));
      await request(t.http).get('/api/docs').expect((r) => expect([200, 301]).toContain(r.status));
    } finally {
      await t.close();
    }
  });
});
