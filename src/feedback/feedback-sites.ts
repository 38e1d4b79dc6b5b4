import { Injectable } from '@nestjs/common';
import { InvalidInput } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';

const MAX_URL = 2048;

/**
 * FEEDBACK_SITES (SPEC §11): the origins whose pages may carry the widget. A page is named by its origin and path;
 * the query and the fragment are dropped, so `?utm_source=…` or `#top` do not split one page's votes.
 */
@Injectable()
export class FeedbackSites {
  readonly origins: readonly string[];
  private readonly allowed: Set<string>;

  constructor(config: AppConfig) {
    this.origins = config.feedbackSites;
    this.allowed = new Set(config.feedbackSites);
  }

  allows(origin: string | undefined): boolean {
    return origin !== undefined && this.allowed.has(origin);
  }

  /** The page `url` names, or InvalidInput on `field` (not a URL, not http(s), too long, or not one of the sites). */
  page(url: unknown, field = 'url'): string {
    if (typeof url !== 'string' || url.trim() === '') throw new InvalidInput([{ field, message: `${field} is required` }]);
    if (url.length > MAX_URL) throw new InvalidInput([{ field, message: `${field} must be ${MAX_URL} characters or fewer` }]);
    let parsed: URL;
    try {
      parsed = new URL(url.trim());
    } catch {
      throw new InvalidInput([{ field, message: `${field} must be an http(s) URL` }]);
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password) {
      throw new InvalidInput([{ field, message: `${field} must be an http(s) URL` }]);
    }
    if (!this.allowed.has(parsed.origin)) {
      throw new InvalidInput([{ field, message: `${field} must be a page of a site that may use page feedback (FEEDBACK_SITES)` }]);
    }
    return `${parsed.origin}${parsed.pathname}`;
  }
}
