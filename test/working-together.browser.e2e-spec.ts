import request from 'supertest';
import type { Browser, Page } from 'playwright-core';
import { BrowserPage, expectNoAxeViolations, launchBrowser, newPage, screenshot, startWebApp, WebApp, signInOnPage } from './support/browser.js';
import { validInquiry } from './support/factories.js';
import { TestStaff } from './support/staff.js';
import { createStaffWithPassword } from './support/web.js';

/**
 * Working together (SPEC §9) in a real Chromium, two people signed in in two browser contexts: a reply from a stale
 * page is held with "Send anyway" (with JavaScript on and off), and a draft survives a reload and is gone once sent.
 */
describe('working together on an inquiry in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let sam: TestStaff;
  let priya: TestStaff;
  const opened: BrowserPage[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
    sam = await createStaffWithPassword(web.t, 'officer', { name: 'Sam Okafor' });
    priya = await createStaffWithPassword(web.t, 'officer', { name: 'Priya Shah' });
  });
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  async function signedIn(who: TestStaff, javaScriptEnabled = true): Promise<Page> {
    const p = await newPage(browser, { javaScriptEnabled });
    opened.push(p);
    await signInOnPage(p.page, web.baseUrl, who.email);
    return p.page;
  }

  const submit = async () =>
    (await request(web.t.http).post('/api/inquiries').send(validInquiry({ name: 'Aisha Khan' })).expect(201)).body as { id: string; reference: string };
  const open = async (page: Page, reference: string) => {
    const res = await page.goto(`${web.baseUrl}/admin/inquiries/${reference}`);
    expect(res?.status()).toBe(200);
  };
  async function posting(page: Page, click: () => Promise<void>): Promise<number> {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/admin/inquiries/')),
      click(),
    ]);
    await page.waitForLoadState('load');
    return response.status();
  }
  const replies = async (id: string) =>
    (await web.t.db.query(`SELECT body FROM conversation_messages WHERE inquiry_id = $1 AND direction = 'outbound' ORDER BY created_at`, [id]))
      .map((r: { body: string }) => r.body);

  for (const javaScriptEnabled of [true, false]) {
    it(`holds a reply from a stale page with what arrived; "Send anyway" sends it (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const { id, reference } = await submit();
      const samPage = await signedIn(sam);
      const priyaPage = await signedIn(priya, javaScriptEnabled);
      await open(samPage, reference);
      await open(priyaPage, reference);

      await samPage.getByLabel('Your reply').fill('Sam answers first.');
      expect(await posting(samPage, () => samPage.getByRole('button', { name: 'Send reply' }).click())).toBe(303);

      await priyaPage.getByLabel('Your reply').fill('Priya answers too.');
      expect(await posting(priyaPage, () => priyaPage.getByRole('button', { name: 'Send reply' }).click())).toBe(409);
      const held = priyaPage.locator('#reply-held');
      expect(await held.innerText()).toMatch(/Since you opened this page:\s*a reply by Sam Okafor, \d\d:\d\d — “Sam answers first\.”/);
      expect(await priyaPage.getByLabel('Your reply').inputValue()).toBe('Priya answers too.');
      expect(await replies(id)).toEqual(['Sam answers first.']);
      if (javaScriptEnabled) {
        await expectNoAxeViolations(priyaPage, 'the inquiry page with a held reply');
        await screenshot(priyaPage, 'inquiry-reply-held');
      } else {
        await expectNoAxeViolations(priyaPage, 'the inquiry page with a held reply (JavaScript off)');
      }

      // "Edit" only moves to the field; nothing is sent.
      await priyaPage.getByRole('link', { name: 'Edit', exact: true }).click();
      expect(priyaPage.url()).toMatch(/#reply-body$/);
      expect(await replies(id)).toEqual(['Sam answers first.']);

      expect(await posting(priyaPage, () => priyaPage.getByRole('button', { name: 'Send anyway' }).click())).toBe(303);
      expect(await replies(id)).toEqual(['Sam answers first.', 'Priya answers too.']);
    });
  }

  it('autosaves a draft while typing; it survives a reload and another device, and is gone after sending', async () => {
    const { id, reference } = await submit();
    const first = await signedIn(priya);
    await open(first, reference);
    await first.getByLabel('Your reply').pressSequentially('Dear Aisha, thank you', { delay: 10 });
    await first.getByRole('status').filter({ hasText: 'Draft saved' }).waitFor();
    const [row] = await web.t.db.query(`SELECT body FROM inquiry_drafts WHERE inquiry_id = $1 AND staff_id = $2`, [id, priya.id]);
    expect(row.body).toBe('Dear Aisha, thank you');

    await first.reload();
    expect(await first.getByLabel('Your reply').inputValue()).toBe('Dear Aisha, thank you');
    // Another device (a new context, signed in again, JavaScript off) finds it too; Sam does not.
    const second = await signedIn(priya, false);
    await open(second, reference);
    expect(await second.getByLabel('Your reply').inputValue()).toBe('Dear Aisha, thank you');
    const other = await signedIn(sam);
    await open(other, reference);
    expect(await other.getByLabel('Your reply').inputValue()).toBe('');

    // Save draft without JavaScript.
    await second.getByLabel('Your reply').fill('Dear Aisha, thank you for asking.');
    expect(await posting(second, () => second.getByRole('button', { name: 'Save draft' }).click())).toBe(303);
    expect(await second.getByLabel('Your reply').inputValue()).toBe('Dear Aisha, thank you for asking.');
    await expectNoAxeViolations(second, 'the inquiry page with a saved draft');

    await first.reload();
    expect(await first.getByLabel('Your reply').inputValue()).toBe('Dear Aisha, thank you for asking.');
    expect(await posting(first, () => first.getByRole('button', { name: 'Send reply' }).click())).toBe(303);
    expect(await first.getByLabel('Your reply').inputValue()).toBe('');
    await first.reload();
    expect(await first.getByLabel('Your reply').inputValue()).toBe('');
    expect(await web.t.db.query(`SELECT 1 FROM inquiry_drafts WHERE inquiry_id = $1`, [id])).toHaveLength(0);
  });
});
