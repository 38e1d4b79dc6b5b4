import { doubleCsrf } from 'csrf-csrf';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';

const VISITOR_COOKIE = 'pi_visitor';

/**
 * CSRF protection for forms posted before anyone is signed in (the contact form, the sign-in form): a token in a
 * hidden field `_csrf`, tied to a cookie and to a visitor id (csrf-csrf's signed double submit).
 */
export class FormCsrf {
  private readonly csrf;
  private readonly secure: boolean;

  constructor(secret: string, publicBaseUrl: string) {
    this.secure = publicBaseUrl.startsWith('https://');
    this.csrf = doubleCsrf({
      getSecret: () => secret,
      getSessionIdentifier: (req) => (req.cookies?.[VISITOR_COOKIE] as string | undefined) ?? '',
      cookieName: this.secure ? '__Host-pi_csrf' : 'pi_csrf',
      cookieOptions: { sameSite: 'lax', secure: this.secure, httpOnly: true, path: '/' },
      getCsrfTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
    });
  }

  /** The token for a form drawn now; sets the visitor and CSRF cookies when missing. */
  token(req: Request, res: Response): string {
    if (!req.cookies?.[VISITOR_COOKIE]) {
      const id = randomBytes(18).toString('base64url');
      req.cookies = { ...(req.cookies ?? {}), [VISITOR_COOKIE]: id };
      res.cookie(VISITOR_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/' });
    }
    return this.csrf.generateCsrfToken(req, res, { overwrite: false, validateOnReuse: false });
  }

  valid(req: Request): boolean {
    return this.csrf.validateRequest(req);
  }
}
