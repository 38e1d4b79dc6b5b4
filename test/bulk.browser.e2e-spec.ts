import type { Browser, Page } from 'playwright-core';
import {
  BrowserPage, expectNoAxeViolations, launchBrowser, newPage, screenshot, startWebApp, WebApp, signInOnPage,
} from './support/browser.js';
import { InboxListService } from '../src/admin/inbox/inbox-list.service.js';
import { createStaffWithPassword } from './support/web.js';
import type { TestStaff } from './support/staff.js';
import { insertInquiry, Seeded } from './inbox-fixtures.js';

/** Bulk changes and snooze on the inbox page (SPEC §9) in a real Chromium, with JavaScript off. */
describe('bulk changes and snooze on the inbox page', () => {
  let browser: Browser;
  let web: WebApp;
  let officer: TestStaff;
  const open: BrowserPage[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
    officer = await createStaffWithPassword(web.t, 'officer', { name: 'Olivia Officer' });
  });
  afterEach(async () => {
    for (const p of open.splice(0)) {
      expect(p.errors).toEqual([]);
      await p.close();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  async function signedIn(): Promise<Page> {
    const p = await newPage(browser, { javaScriptEnabled: false });
    open.push(p);
    const { page } = p;
    await signInOnPage(page, web.baseUrl, officer.email);
    return page;
  }

  const statusOf = async (s: Seeded) => (await web.t.db.query(`SELECT status, assignee_id, priority FROM inquiries WHERE id = $1`, [s.id]))[0];

  it('selects rows and applies a change with JavaScript off, and says what happened', async () => {
    const made: Seeded[] = [];
    for (let i = 0; i < 4; i++) made.push(await insertInquiry(web.t, { status: 'open', subject: `Bulk question ${i}` }));
    const page = await signedIn();
    await expectNoAxeViolations(page, 'the inbox with the bulk form');
    await page.getByLabel(`Select ${made[0].reference}`).check();
    await page.getByLabel(`Select ${made[1].reference}`).check();
    const form = page.locator('form.inbox-bulk');
    await form.getByLabel('Assign to').selectOption({ label: 'Olivia Officer' });
    await form.getByLabel('Status').selectOption('waiting');
    await form.getByLabel('Priority').selectOption('high');
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await page.waitForURL(/\/admin\/inbox\?view=open$/);
    await expect(page.getByRole('status').innerText()).resolves.toContain('2 changed');
    expect(await statusOf(made[0])).toEqual({ status: 'waiting', assignee_id: officer.id, priority: 'high' });
    expect(await statusOf(made[2])).toEqual({ status: 'open', assignee_id: null, priority: 'normal' });
    await expectNoAxeViolations(page, 'the bulk result');
    await screenshot(page, 'inbox-bulk-result');
  });

  it('selects all matching (not only the page) and reports the ones that could not change', async () => {
    await insertInquiry(web.t, { status: 'spam', subject: 'Spam one' });
    await insertInquiry(web.t, { status: 'spam', subject: 'Spam two' });
    // Written straight to the database: the page's cached count of spam must hear of it.
    web.t.app.get(InboxListService).invalidateCounts();
    const page = await signedIn();
    await page.goto(`${web.baseUrl}/admin/inbox?view=spam&limit=1`);
    await page.getByLabel(/^Select all 2 inquiries matching/).check();
    await page.locator('form.inbox-bulk').getByLabel('Status').selectOption('waiting');
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toContain('0 changed; 2 could not move from spam to waiting');
    await expectNoAxeViolations(page, 'a bulk result with failures');
  });

  it('snoozes the selected rows into the Snoozed view', async () => {
    const s = await insertInquiry(web.t, { status: 'new', subject: 'Snooze this one' });
    const page = await signedIn();
    await page.getByLabel(`Select ${s.reference}`).check();
    await page.getByLabel('Snooze until…').selectOption('monday');
    await page.getByRole('button', { name: 'Snooze selected' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toMatch(/^1 snoozed until \d+ \w+ \d{4}, 09:00 \(UK time\)/);
    await expect(page.locator('main').innerText()).resolves.not.toContain(s.reference);
    await page.getByRole('navigation', { name: 'Inbox views' }).getByRole('link', { name: /^Snoozed\s+1/ }).click();
    const table = await page.locator('table.inbox-table').innerText();
    expect(table).toContain(s.reference);
    expect(table).toMatch(/Snoozed until \d+ \w+ \d{4}, 09:00/);
    await expectNoAxeViolations(page, 'the Snoozed view');
    await screenshot(page, 'inbox-snoozed');
  });

  it('says so when nothing is selected', async () => {
    await insertInquiry(web.t, { status: 'open' });
    const page = await signedIn();
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toContain('Nothing changed: select at least one inquiry');
  });
});
