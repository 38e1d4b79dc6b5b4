import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { expectNoAxeViolations, launchBrowser, newPage, screenshot, tabUntil } from './support/browser.js';
import { createStaffWithPassword } from './support/web.js';

const EXAMPLE = '/example/cancer-services-in-england';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * SPEC §11 in a real browser: the widget on a charity's page served from another origin (mouse and keyboard),
 * /feedback with JavaScript off, the example page and its "Email the team" link, and the staff page.
 */
describe('page feedback in the browser', () => {
  let browser: Browser;
  let t: TestApp;
  let app: string;
  let charity: Server;
  let site: string;
  let pageUrl: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    // The charity's site: another origin, whose page embeds the widget as its CMS would.
    charity = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Cancer services – Example charity</title></head>
        <body><main><h1>Cancer services in England</h1><p>It is vital that the NHS works well for cancer patients.</p>
        <script src="${app}/assets/page-feedback.js" data-url="${site}/cancer-services" defer></script></main></body></html>`);
    });
    await new Promise<void>((resolve) => charity.listen(0, '127.0.0.1', resolve));
    site = `http://127.0.0.1:${(charity.address() as AddressInfo).port}`;
    pageUrl = `${site}/cancer-services`;
    const port = await freePort();
    app = `http://127.0.0.1:${port}`;
    t = await createTestApp({ env: { PUBLIC_BASE_URL: app, FEEDBACK_SITES: `${site},${app}` } });
    await t.app.listen(port, '127.0.0.1');
    // The seed page's state: 1.9 out of 5 based on 9 votes.
    for (const [i, rating] of [1, 2, 2, 1, 3, 2, 1, 4, 1].entries()) {
      await request(t.http).post('/api/pages/ratings').send({ url: pageUrl, rating, visitorId: `seed-visitor-${i}-abcdefgh` }).expect(201);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => charity?.close(resolve));
  });

  it('votes with the mouse on a page of another origin: "Thank you!" is announced and the new average shown', async () => {
    const { page, errors, close } = await newPage(browser);
    try {
      await page.goto(pageUrl);
      await page.getByText('Currently rated: 1.9 out of 5 based on 9 votes').waitFor();
      await expectNoAxeViolations(page, 'the widget on the charity\'s page');
      await page.getByLabel('4 stars, good').check();
      await page.getByRole('button', { name: 'Send rating' }).click();
      const status = page.getByRole('status').filter({ hasText: 'Thank you!' });
      await status.waitFor();
      expect(await status.textContent()).toBe('Thank you! Currently rated: 2.1 out of 5 based on 10 votes.');
      await page.getByText('Currently rated: 2.1 out of 5 based on 10 votes', { exact: true }).waitFor();
      // Voting again from the same browser replaces the vote (the id in the charity site's localStorage).
      await page.getByLabel('5 stars, excellent').check();
      await page.getByRole('button', { name: 'Send rating' }).click();
      await page.getByText('Currently rated: 2.2 out of 5 based on 10 votes', { exact: true }).waitFor();
      expect(await page.evaluate(() => Object.keys((globalThis as any).localStorage))).toEqual(['policy-inbox-visitor']);
      // The widget sets no cookie, neither on the charity's site nor on ours.
      expect(await page.context().cookies()).toEqual([]);
      await page.getByLabel("We've recently made some changes to the site, tell us what you think").fill('The list of documents is long; dates first would help.');
      await page.getByRole('button', { name: 'Send feedback' }).click();
      await page.getByRole('status').filter({ hasText: 'Thank you for your feedback.' }).waitFor();
      await expectNoAxeViolations(page, 'the widget after a vote and a comment');
      await screenshot(page, 'page-feedback-widget');
      expect(errors).toEqual([]);
      const [c] = await t.db.query(`SELECT comment, channel FROM page_comments WHERE page_url = $1`, [pageUrl]);
      expect(c).toEqual({ comment: 'The list of documents is long; dates first would help.', channel: 'widget' });
    } finally {
      await close();
    }
  });

  it('votes with the keyboard alone: arrows move between ratings, the button sends', async () => {
    const { page, errors, close } = await newPage(browser);
    try {
      await page.goto(pageUrl);
      await page.getByText(/Currently rated: 2\.2 out of 5 based on 10 votes/).waitFor();
      await tabUntil(page, 'input[type=radio]');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      expect(await page.evaluate(() => (globalThis as any).document.activeElement.labels[0].innerText)).toMatch(/3 stars, fair/);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowRight');
      await tabUntil(page, 'button');
      expect(await page.evaluate(() => (globalThis as any).document.activeElement.textContent)).toBe('Send rating');
      await page.keyboard.press('Enter');
      // (17 + 5 + 3) / 11 = 2.27 → 2.3
      await page.getByRole('status').filter({ hasText: 'Thank you! Currently rated: 2.3 out of 5 based on 11 votes.' }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('says what to do when "Send rating" is pressed with no rating chosen', async () => {
    const { page, close } = await newPage(browser);
    try {
      await page.goto(pageUrl);
      await page.getByRole('button', { name: 'Send rating' }).click();
      await page.getByText('Error: Choose a rating from 1 to 5 stars').waitFor();
      await expectNoAxeViolations(page, 'the widget with an error');
    } finally {
      await close();
    }
  });

  it('serves /feedback as a plain page that works with JavaScript off, framable by FEEDBACK_SITES only', async () => {
    const { page, errors, close } = await newPage(browser, { javaScriptEnabled: false });
    try {
      const res = await page.goto(`${app}/feedback?url=${encodeURIComponent(pageUrl)}`);
      expect(res!.headers()['content-security-policy']).toContain(`frame-ancestors ${site} ${app}`);
      expect(res!.headers()['x-frame-options']).toBeUndefined();
      await page.getByText('Currently rated: 2.3 out of 5 based on 11 votes').waitFor();
      await expectNoAxeViolations(page, '/feedback');
      await page.getByRole('button', { name: 'Send rating' }).click();
      await page.getByText('There is a problem').waitFor();
      expect(await page.title()).toMatch(/^Error: /);
      await expectNoAxeViolations(page, '/feedback with an error');
      await page.getByLabel('5 stars, excellent').check();
      await page.getByRole('button', { name: 'Send rating' }).click();
      await page.getByRole('status').filter({ hasText: 'Thank you!' }).waitFor();
      // (25 + 5) / 12 = 2.5
      expect(await page.getByRole('status').filter({ hasText: 'Thank you!' }).textContent()).toContain('Currently rated: 2.5 out of 5 based on 12 votes');
      await page.getByLabel("We've recently made some changes to the site, tell us what you think").fill('Clear page, thank you.');
      await page.waitForTimeout(3_100); // a person takes longer than the spam check's 3 s
      await page.getByRole('button', { name: 'Send feedback' }).click();
      await page.getByText('Thank you for your feedback.').waitFor();
      await expectNoAxeViolations(page, '/feedback after sending');
      await screenshot(page, 'feedback-plain');
      expect(errors).toEqual([]);
      const other = await request(t.http).get('/admin/login');
      expect(other.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    } finally {
      await close();
    }
  });

  it('shows the example page with the widget, and its "Email the team" link leads to a prefilled form whose inquiry records the page', async () => {
    const { page, errors, close } = await newPage(browser);
    try {
      await page.goto(`${app}/`);
      await page.getByRole('link', { name: /An example policy page: Cancer services in England/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Cancer services in England' }).waitFor();
      await page.getByText(/Not rated yet|Currently rated/).waitFor();
      for (const h of ['Coronavirus (COVID-19)', 'Contact us', 'Related documents']) await page.getByRole('heading', { name: h }).waitFor();
      await page.getByText('Measuring up? The health of NHS cancer services (September 2014) - full report').waitFor();
      await expectNoAxeViolations(page, 'the example page');
      await screenshot(page, 'example-page');
      await page.getByRole('link', { name: 'Email the team' }).click();
      await page.waitForURL(/\/contact\?/);
      const url = new URL(page.url());
      expect(url.searchParams.get('topic')).toBe('waiting-times');
      expect(url.searchParams.get('source')).toBe(`${app}${EXAMPLE}`);
      expect(await page.getByLabel('What is your question about?').inputValue()).toBe('waiting-times');
      await page.getByLabel('Your name').fill('Aisha Khan');
      await page.getByLabel('Email address').fill('aisha.khan@example.org');
      await page.getByLabel('Member of the public').check();
      await page.getByLabel('Subject').fill('Waiting times in my area');
      await page.getByLabel('Your question', { exact: true }).fill('What is the charity doing about cancer waiting times in England?');
      await page.locator('input[name=consent]').check();
      await page.waitForTimeout(3_100); // a person takes longer than the spam check's 3 s
      await page.getByRole('button', { name: /Send/ }).click();
      await page.getByText(/POL-[0-9A-HJKMNP-TV-Z]{6}/).first().waitFor();
      const [inquiry] = await t.db.query(`SELECT topic_key, source_url, status FROM inquiries WHERE email = 'aisha.khan@example.org'`);
      expect(inquiry).toEqual({ topic_key: 'waiting-times', source_url: `${app}${EXAMPLE}`, status: 'new' });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('shows staff the Page feedback page, ranked with the stated prior, hidden comments behind a click', async () => {
    await request(t.http).post('/api/pages/feedback').send({ url: pageUrl, comment: 'Please call me on 07700 900123 about my mum' }).expect(201);
    for (let i = 0; i < 3; i++) {
      await request(t.http).post('/api/pages/ratings').send({ url: `${site}/few-votes`, rating: 5, visitorId: `few-visitor-${i}-abcdefgh` }).expect(201);
    }
    const officer = await createStaffWithPassword(t, 'officer');
    const { page, errors, close } = await newPage(browser);
    try {
      await page.goto(`${app}/admin/login`);
      await page.getByLabel('Email address').fill(officer.email);
      await page.getByLabel('Password').fill(officer.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Page feedback' }).click();
      await page.getByRole('heading', { level: 1, name: 'Page feedback' }).waitFor();
      await page.getByText(/10 votes at the site-wide average/).waitFor();
      await expectNoAxeViolations(page, 'the Page feedback page');
      await screenshot(page, 'page-feedback');
      await page.getByRole('link', { name: pageUrl }).click();
      await page.getByRole('heading', { level: 1, name: /Feedback on/ }).waitFor();
      await page.getByText('Clear page, thank you.').waitFor();
      expect(await page.getByText('07700 900123').count()).toBe(0);
      await expectNoAxeViolations(page, 'a page\'s feedback');
      await page.getByRole('button', { name: /Show this comment/ }).first().click();
      await page.getByText('Please call me on 07700 900123 about my mum').waitFor();
      await expectNoAxeViolations(page, 'a page\'s feedback with a comment shown');
      await screenshot(page, 'page-feedback-detail');
      expect(errors).toEqual([]);
      const [audit] = await t.db.query(`SELECT actor_email FROM audit_events WHERE action = 'feedback.comment-revealed'`);
      expect(audit.actor_email).toBe(officer.email);
    } finally {
      await close();
    }
  });
});
