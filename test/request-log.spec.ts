import { loadConfig } from '../src/config/app-config.js';
import { logOptions, safePath } from '../src/common/logging.js';

/** SPEC §8: no personal data in a URL except the search `q`, and request logs drop query strings. */
describe('request logs', () => {
  const serializers = () => {
    const options = logOptions(loadConfig({ NODE_ENV: 'test' })).pinoHttp as { serializers: Record<string, (v: unknown) => unknown> };
    return options.serializers;
  };

  it('log the path of an inbox search without its query string', () => {
    const logged = serializers().req({ id: 'r1', method: 'GET', url: '/admin/inbox?q=aisha.khan%40example.org&view=mine' });
    expect(logged).toEqual({ id: 'r1', method: 'GET', path: '/admin/inbox' });
    expect(JSON.stringify(logged)).not.toMatch(/aisha|example\.org|view=/);
  });

  it('replace an email address or a long token in a path', () => {
    expect(safePath('/api/admin/data-subjects/aisha%40example.org/export')).toBe('/api/admin/data-subjects/:email/export');
    expect(safePath(`/admin/set-password/${'a'.repeat(80)}`)).toBe('/admin/set-password/:token');
    expect(safePath('/admin/inquiries/POL-7K3M9Q?from=x')).toBe('/admin/inquiries/POL-7K3M9Q');
  });
});
