import { Injectable } from '@nestjs/common';
import nunjucks from 'nunjucks';
import { join } from 'node:path';

export const VIEWS_DIR = join(import.meta.dirname, '..', '..', 'views');

/** Server-rendered pages (the public form and its neighbours); everything a person typed is escaped. */
@Injectable()
export class Pages {
  private readonly env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
  });

  render(view: string, context: Record<string, unknown> = {}): string {
    return this.env.render(view, context);
  }
}
