import { RequestMethod } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { ADMIN_ONLY, PUBLIC_ROUTE } from '../src/auth/auth.decorators.js';
import { createTestApp, TestApp } from './support/app.js';
import { createStaff, TestStaff } from './support/staff.js';

interface Route {
  method: string;
  path: string;
}

const key = (r: Route) => `${r.method} ${r.path}`;
const SOME_ID = '0b9c3f4e-8d7a-4c21-9e5f-3a2b1c0d9e8f';

/** Every route the express router serves (Express 5: app.router.stack), as Nest registered it. */
function routerRoutes(t: TestApp): Route[] {
  const express = t.app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } };
  return express.router.stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => ({ method: m.toUpperCase(), path: layer.route!.path }))
      : [],
  );
}

/** Every controller route with its guard metadata, from Nest's own module graph. */
function controllerRoutes(t: TestApp): (Route & { isPublic: boolean; adminOnly: boolean })[] {
  const reflector = new Reflector();
  const out: (Route & { isPublic: boolean; adminOnly: boolean })[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!ctrl) continue;
      const base = [Reflect.getMetadata('path', ctrl) ?? ''].flat()[0] as string;
      for (const name of Object.getOwnPropertyNames(ctrl.prototype)) {
        const handler = ctrl.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata('method', handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata('method', handler) as number];
        for (const sub of [Reflect.getMetadata('path', handler) ?? ''].flat() as string[]) {
          const path = `/${[base, sub].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
          out.push({
            method, path,
            isPublic: Boolean(reflector.getAllAndOverride(PUBLIC_ROUTE, [handler, ctrl])),
            adminOnly: Boolean(reflector.getAllAndOverride(ADMIN_ONLY, [handler, ctrl])),
          });
        }
      }
    }
  }
  return out;
}

/** A concrete URL for a route path: every parameter gets a plausible uuid. */
const urlOf = (path: string) => path.replace(/:[A-Za-z0-9_]+/g, SOME_ID).replace(/\*[A-Za-z0-9_]+|\{[^}]*\}/g, '');

const send = (t: TestApp, r: Route, auth?: string) => {
  const req = request(t.http)[r.method.toLowerCase() as 'get'](urlOf(r.path));
  if (auth) req.set('Authorization', auth);
  return ['POST', 'PUT', 'PATCH'].includes(r.method) ? req.set('Content-Type', 'application/json').send('{}') : req;
};

describe('every admin route is protected', () => {
  let t: TestApp;
  let officer: TestStaff;
  let adminRoutes: Route[];
  let byKey: Map<string, ReturnType<typeof controllerRoutes>[number]>;

  beforeAll(async () => {
    t = await createTestApp();
    officer = await createStaff(t, 'officer');
    adminRoutes = routerRoutes(t).filter((r) => r.path.startsWith('/api/admin'));
    byKey = new Map(controllerRoutes(t).map((r) => [key(r), r]));
  });
  afterAll(async () => t.close());

  it('finds the admin routes in the router, and each one in a controller', () => {
    expect(adminRoutes.length).toBeGreaterThan(15);
    for (const r of adminRoutes) expect(byKey.has(key(r)) ? key(r) : `missing: ${key(r)}`).toBe(key(r));
  });

  it('keeps only sign-in public under /api/admin', () => {
    const open = adminRoutes.filter((r) => byKey.get(key(r))!.isPublic).map(key).sort();
    expect(open).toEqual(['POST /api/admin/auth/login', 'POST /api/admin/auth/set-password']);
  });

  it('answers 401 on every other admin route without a token, and with a garbage one', async () => {
    const guarded = adminRoutes.filter((r) => !byKey.get(key(r))!.isPublic);
    const seen: string[] = [];
    for (const r of guarded) {
      for (const auth of [undefined, 'Bearer garbage', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl', 'Basic Zm9vOmJhcg==']) {
        const res = await send(t, r, auth);
        seen.push(`${key(r)} ${auth ?? '(none)'} -> ${res.status}`);
        expect(`${key(r)} ${auth ?? '(none)'} -> ${res.status}`).toBe(`${key(r)} ${auth ?? '(none)'} -> 401`);
        expect(res.body).toEqual({ statusCode: 401, message: expect.any(String) });
      }
    }
    expect(seen.length).toBe(guarded.length * 4);
  });

  it('answers 403 to an officer on every admin-only route', async () => {
    const adminOnly = adminRoutes.filter((r) => byKey.get(key(r))!.adminOnly);
    expect(adminOnly.length).toBeGreaterThanOrEqual(8);
    for (const r of adminOnly) {
      const res = await send(t, r, officer.auth);
      expect(`${key(r)} -> ${res.status}`).toBe(`${key(r)} -> 403`);
    }
  });

  it('lets an officer through on the routes for all staff (no 401/403)', async () => {
    const res = await request(t.http).get('/api/admin/canned-replies').set('Authorization', officer.auth);
    expect(res.status).toBe(200);
  });

  it('answers 401 with a Basic challenge on the queue dashboard', async () => {
    for (const path of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/admin/queues/static/x.js']) {
      const res = await request(t.http).get(path);
      expect(`${path} ${res.status}`).toBe(`${path} 401`);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Policy Inbox queues"/);
    }
    const asOfficer = await request(t.http).get('/admin/queues').set('Authorization', officer.auth);
    expect(asOfficer.status).toBe(401);
  });
});
