import type { Request } from 'express';
import type { StaffPrincipal } from '../auth/staff.entity.js';
import type { WebSession } from '../auth/sessions.service.js';

/** A request to a web inbox page, as the staff guard leaves it: who is signed in and their session. */
export type WebRequest = Request & { staff: StaffPrincipal; webSession: WebSession };

/**
 * Where sign-in may send someone back to: a path of ours, never another site (`//evil.example`, `/\evil`,
 * `https://…`, control characters). Anything else is the inbox.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/admin/inbox';
  if (!/^\/(?![/\\])[^\s\\]*$/.test(next)) return '/admin/inbox';
  try {
    const url = new URL(next, 'http://policy-inbox.invalid');
    if (url.origin !== 'http://policy-inbox.invalid') return '/admin/inbox';
    if (url.pathname === '/admin/login' || url.pathname === '/admin/logout') return '/admin/inbox';
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return '/admin/inbox';
  }
}
