import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * CORS for the page feedback API (`/api/pages/*`, SPEC §11): the widget on a page of one of the FEEDBACK_SITES
 * calls it from that page's origin. Such an origin gets `Access-Control-Allow-Origin` (and the preflight of a JSON
 * post an answer of 204); any other origin gets no CORS headers, and a preflight or a post from it answers 403.
 * A request without an Origin (curl, a server) is not a browser's cross-site call and goes on as usual. No
 * credentials are allowed: the widget sends no cookies, only its own visitor id in the body.
 */
export function feedbackCors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin === undefined) return next();
    if (!allowed.has(origin)) {
      if (req.method === 'OPTIONS' || req.method === 'POST') {
        res.status(403).json({ statusCode: 403, message: 'This origin may not use page feedback (FEEDBACK_SITES)' });
        return;
      }
      return next();
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * The widget's script and style are loaded by the charity's pages, so they may be used cross-origin (and read: tools
 * such as accessibility checkers fetch a page's stylesheets). They are public files holding nothing personal.
 */
export function crossOriginAsset(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Access-Control-Allow-Origin', '*');
  next();
}

/** `/feedback` may be framed by the FEEDBACK_SITES (CSP frame-ancestors; X-Frame-Options would forbid it). */
export function framableBy(origins: readonly string[]): RequestHandler {
  const ancestors = origins.join(' ');
  return (_req: Request, res: Response, next: NextFunction) => {
    res.removeHeader('X-Frame-Options');
    const policy = String(res.getHeader('Content-Security-Policy') ?? '');
    res.setHeader('Content-Security-Policy', policy.replace(/frame-ancestors [^;]*/, `frame-ancestors ${ancestors}`));
    next();
  };
}
