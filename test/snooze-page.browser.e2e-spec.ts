import type { Browser } from 'playwright-core';
import { BrowserPage, expectNoAxeViolations, launchBrowser, newPage, screenshot, signInOnPage, startWebApp, WebApp } from './support/browser.js';
import { insertInquiry } from './inbox-fixtures.js';
import { createStaffWithPassword } from './support/web.js';

/** The inquiry page's snooze panel in a real Chromium: accessible in its empty, error and snoozed states, without JavaScript. */
describe('snoozing from the inquiry page in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let p: BrowserPage;

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
  });
  afterAll(async () => {
    await p?.close();
    await browser?.close();
    await web?.close();
  });

  it('snoozes with the keyboard and native controls, JavaScript off; axe finds nothing in any state', async () => {
    const officer = await createStaffWithPassword(web.t, 'officer', { name: 'Olivia Officer' });
    const inquiry = await insertInquiry(web.t, { status: 'open' });
    p = await newPage(browser, { javaScriptEnabled: false });
    const { page } = p;
    await signInOnPage(page, web.baseUrl, officer.email);
    await page.goto(`${web.baseUrl}/admin/inquiries/${inquiry.reference}`);
    await expectNoAxeViolations(page, 'inquiry page with the snooze panel');

    await page.getByLabel('Snooze until').selectOption('at');
    await page.getByRole('button', { name: 'Snooze', exact: true }).click();
    await page.getByText('There is a problem').waitFor();
    await expectNoAxeViolations(page, 'snooze error');

    await page.getByLabel('Snooze until').selectOption('monday');
    await page.getByRole('button', { name: 'Snooze', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByText(/Snoozed until .* \(UK time\)/).first().waitFor();
    await expectNoAxeViolations(page, 'snoozed inquiry');
    await screenshot(page, 'inquiry-snoozed');
    const [row] = await web.t.db.query(`SELECT snoozed_until FROM inquiries WHERE id = $1`, [inquiry.id]);
    expect(row.snoozed_until).not.toBeNull();
    expect(p.errors).toEqual([]);
  });
});
