import request from 'supertest';
import { sign } from '../src/inquiries/signed.js';
import { createTestApp, TestApp } from './support/app.js';

/** The no-JavaScript form of SPEC §3.1, driven as a browser would: GET, read the hidden fields, POST. */
describe('the contact form', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

  async function openForm() {
    const agent = request.agent(t.http);
    const page = await agent.get('/contact').expect(200);
    return { agent, html: page.text, csrf: hidden(page.text, '_csrf')!, formToken: hidden(page.text, 'formToken')! };
  }

  /** A form token rendered 10 s ago, as if a person had taken time to fill the form in. */
  const tokenFilledSlowly = () => sign(t.config.appSecret, 'contact-form', { n: Math.random().toString(36).slice(2), t: Date.now() - 10_000 });

  const answers = (over: Record<string, string> = {}) => ({
    name: 'Siân Llywelyn',
    email: `sian.${Math.random().toString(36).slice(2, 8)}@example.org`,
    organisation: '',
    enquirerType: 'researcher',
    topic: 'early-diagnosis',
    subject: 'Bowel screening age',
    message: 'When will bowel screening start at 50 across England?',
    consent: 'yes',
    website: '',
    ...over,
  });

  it('renders an accessible form with CSRF token, hints and a privacy link', async () => {
    const { html, csrf, formToken } = await openForm();
    expect(csrf).toBeTruthy();
    expect(formToken).toBeTruthy();
    expect(html).toMatch(/<title>Email the policy team/);
    expect(html).toMatch(/<input[^>]+id="email"[^>]+type="email"[^>]+autocomplete="email"[^>]+spellcheck="false"/);
    expect(html).toContain('Do not include medical details');
    expect(html).toContain('href="/privacy"');
    expect(html).toContain('You can enter up to 5000 characters');
    expect(html).not.toMatch(/<script>[^<]/); // no inline scripts: the CSP allows only our own files
  });

  it('sends a valid form to a confirmation page with the reference and reply date', async () => {
    const { agent, csrf } = await openForm();
    const a = answers();
    const res = await agent.post('/contact').type('form').send({ ...a, _csrf: csrf, formToken: tokenFilledSlowly() }).expect(303);
    expect(res.headers.location).toMatch(/^\/contact\/confirmation\?receipt=/);
    const page = await agent.get(res.headers.location).expect(200);
    const reference = /POL-[0-9A-HJKMNP-TV-Z]{6}/.exec(page.text)?.[0];
    expect(reference).toBeDefined();
    expect(page.text).toContain('What happens next');
    expect(page.text).toMatch(/We aim to reply by <strong>\w+day \d{1,2} \w+ \d{4}<\/strong>/);
    const [row] = await t.db.query('SELECT name, status, channel FROM inquiries WHERE reference = $1', [reference]);
    expect(row).toEqual({ name: 'Siân Llywelyn', status: 'new', channel: 'form' });
  });

  it('shows the error page: title starts Error:, summary links to each field, answers kept', async () => {
    const { agent, csrf, formToken } = await openForm();
    const res = await agent.post('/contact').type('form')
      .send({ ...answers({ name: '', email: 'not an email', consent: '' }), subject: 'Keep <this> subject', _csrf: csrf, formToken })
      .expect(400);
    expect(res.text).toMatch(/<title>Error: /);
    expect(res.text).toContain('There is a problem');
    for (const field of ['name', 'email', 'consent']) expect(res.text).toContain(`<a href="#${field}">`);
    expect(res.text).toContain('Enter your name');
    expect(res.text).toMatch(/id="name-error"[^>]*>[\s\S]*Enter your name/);
    expect(res.text).toContain('value="Keep &lt;this&gt; subject"');
    expect(res.text).toContain('value="not an email"');
    expect(res.text).toContain('When will bowel screening start at 50 across England?</textarea>');
    expect(Number((await t.db.query('SELECT count(*) FROM inquiries'))[0].count)).toBeGreaterThanOrEqual(0);
  });

  it('refuses a post without the CSRF token, and one with a token from another visitor', async () => {
    const { agent, formToken } = await openForm();
    const res = await agent.post('/contact').type('form').send({ ...answers(), formToken }).expect(403);
    expect(res.text).toContain('Your form has expired');
    const other = await openForm();
    await request(t.http).post('/contact').type('form').send({ ...answers(), _csrf: other.csrf, formToken }).expect(403);
  });

  it('marks a form posted within 3 seconds of rendering as spam, without telling the sender', async () => {
    const { agent, csrf, formToken } = await openForm();
    const a = answers();
    const res = await agent.post('/contact').type('form').send({ ...a, _csrf: csrf, formToken }).expect(303);
    expect(res.headers.location).toMatch(/confirmation/);
    const [row] = await t.db.query('SELECT status, spam_reason FROM inquiries WHERE email = $1', [a.email]);
    expect(row).toEqual({ status: 'spam', spam_reason: 'form posted too fast' });
  });

  it('makes a double click one inquiry', async () => {
    const { agent, csrf } = await openForm();
    const a = answers();
    const formToken = tokenFilledSlowly();
    const [one, two] = await Promise.all([
      agent.post('/contact').type('form').send({ ...a, _csrf: csrf, formToken }),
      agent.post('/contact').type('form').send({ ...a, _csrf: csrf, formToken }),
    ]);
    expect([one.status, two.status]).toEqual([303, 303]);
    expect(one.headers.location).toBe(two.headers.location);
    const rows = await t.db.query('SELECT id FROM inquiries WHERE email = $1', [a.email]);
    expect(rows).toHaveLength(1);
  });

  it('rejects a forged confirmation link', async () => {
    await request(t.http).get('/contact/confirmation?receipt=eyJyIjoiUE9MLUFBQUFBQSJ9.forged').expect(404);
  });

  it('serves its own stylesheet and script under a CSP that allows them', async () => {
    const page = await request(t.http).get('/contact').expect(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/style-src 'self'/);
    await request(t.http).get('/assets/styles.css').expect(200).expect('Content-Type', /css/);
    await request(t.http).get('/assets/character-count.js').expect(200);
    await request(t.http).get('/privacy').expect(200);
  });
});
