import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';
import type { MetricsService } from './metrics.service.js';

/** Areas served by express middleware rather than a Nest route: one label each, whatever the path below. */
const MOUNTS = ['/assets', '/api/docs', '/admin/queues'];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Every path no route answered (a 404, a probe for /wp-login.php): one label, so strangers cannot add series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route label of a request: the pattern of the route that answered it (`/api/admin/inquiries/:id`), never
 * the path itself, which may hold an id, an email address or a token.
 */
export function routeLabel(req: Pick<Request, 'originalUrl' | 'route'>): string {
  const path = (req.originalUrl ?? '').split('?')[0];
  for (const mount of MOUNTS) if (path === mount || path.startsWith(`${mount}/`)) return `${mount}/*`;
  // Nest mounts middleware that applies everywhere (the request logger) as a wildcard route, `{/*splat}`: a
  // request that no route answered is left with that one. No controller route of ours has a wildcard.
  const pattern: unknown = req.route?.path;
  return typeof pattern === 'string' && !pattern.includes('*') ? pattern : UNMATCHED_ROUTE;
}

/** Times every request from the first middleware to the last byte sent (aborted requests are not counted). */
export function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('finish', () => {
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      metrics.httpDuration.observe({ method, route: routeLabel(req), status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    next();
  };
}
