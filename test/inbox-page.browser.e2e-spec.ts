import type { Browser, Page } from 'playwright-core';
import { InboxListService } from '../src/admin/inbox/inbox-list.service.js';
import {
  BrowserPage, expectNoAxeViolations, focused, launchBrowser, newPage, screenshot, startWebApp, tabUntil, WebApp, signInOnPage,
} from './support/browser.js';
import { createStaffWithPassword } from './support/web.js';
import type { TestStaff } from './support/staff.js';
import { insertInquiry, Seeded, ukDay } from './inbox-fixtures.js';

/**
 * The inbox page (SPEC §8) in a real Chromium: accessible (axe, WCAG 2.2 AA) when empty, full and with an error;
 * the search works with JavaScript off; the search box and the views work with the keyboard alone.
 */
describe('the inbox page in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let officer: TestStaff;
  const open: BrowserPage[] = [];

  beforeAll(async () => {
    // Both throw when something is missing: a browser test fails, never skips.
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

  async function signedIn({ javaScriptEnabled = true } = {}): Promise<Page> {
    const p = await newPage(browser, { javaScriptEnabled });
    open.push(p);
    const { page } = p;
    await signInOnPage(page, web.baseUrl, officer.email);
    return page;
  }

  const rows = (page: Page) => page.locator('table.inbox-table tbody tr');

  it('is accessible when empty, and says so in words', async () => {
    const page = await signedIn();
    expect(await page.title()).toBe('All open – Inbox – Policy Inbox');
    await expect(page.locator('h1').innerText()).resolves.toBe('Inbox');
    await expect(page.locator('main').innerText()).resolves.toContain('No inquiries match. Clear the filters or choose another view.');
    await expect(page.locator('nav[aria-label="Inbox views"] a[aria-current="page"]').innerText()).resolves.toMatch(/^All open\s+0/);
    await expectNoAxeViolations(page, 'the empty inbox');
    await screenshot(page, 'inbox-empty');
  });

  describe('with inquiries', () => {
    let made: Seeded[];
    beforeAll(async () => {
      made = [];
      const topics = ['waiting-times', 'early-diagnosis', 'prevention', 'workforce', 'data'];
      const subjects = [
        'Two-week wait referrals in Yorkshire', 'Bowel screening from age 50', 'Tobacco duty and vaping', 'Radiographer vacancies',
        'Cancer registry data request', 'Waiting times for radiotherapy', 'Lung health checks', 'Sugar levy evidence',
      ];
      for (let i = 0; i < 30; i++) {
        made.push(await insertInquiry(web.t, {
          createdAt: new Date(Date.now() - (i + 1) * 3_600_000).toISOString(),
          name: ['Priya Shah', 'Tom Evans', 'Aisha Khan', 'Gareth Jones'][i % 4],
          organisation: i % 3 === 0 ? 'Bowel Cancer Research Group' : null,
          topic: topics[i % topics.length],
          subject: `${subjects[i % subjects.length]}${i >= subjects.length ? ` (${i})` : ''}`,
          status: ['new', 'open', 'waiting'][i % 3],
          priority: i % 7 === 0 ? 'urgent' : i % 5 === 0 ? 'high' : 'normal',
          assigneeId: i % 4 === 1 ? officer.id : null,
          expectedResponseBy: i % 6 === 0 ? ukDay(-2) : ukDay(8),
        }));
      }
      await insertInquiry(web.t, { status: 'resolved', subject: 'An answered question' });
      // Written behind the app's back: the resolved count of the empty test is still cached, as it may be for 60 s.
      web.t.app.get(InboxListService).invalidateCounts();
    });

    it('is accessible full, with 25 rows, the caption, and "Next page"', async () => {
      const page = await signedIn();
      await expect(rows(page).count()).resolves.toBe(25);
      await expect(page.locator('caption').innerText()).resolves.toBe('All open – 30 inquiries, newest first');
      await expect(rows(page).first().innerText()).resolves.toContain(made[0].reference);
      await expect(page.getByRole('link', { name: /^Next page/ }).isVisible()).resolves.toBe(true);
      await expect(page.locator('nav[aria-label="Inbox views"]').innerText()).resolves.toMatch(/Resolved\s+1/);
      await expectNoAxeViolations(page, 'the full inbox');
      await screenshot(page, 'inbox-full');

      await page.getByRole('link', { name: /^Next page/ }).click();
      await page.waitForURL(/cursor=/);
      await expect(rows(page).count()).resolves.toBe(5);
      await expect(page.getByRole('link', { name: /^Next page/ }).count()).resolves.toBe(0);
    });

    it('is accessible with a bad date: 400, the error summary focused, no list', async () => {
      const page = await signedIn();
      const response = await page.goto(`${web.baseUrl}/admin/inbox?view=open&createdFrom=2026-13-45`);
      expect(response?.status()).toBe(400);
      expect(await page.title()).toBe('Error: All open – Inbox – Policy Inbox');
      await expect(page.locator('.error-summary__title').innerText()).resolves.toBe('There is a problem');
      await expect(page.locator('.error-summary__list a').allInnerTexts()).resolves.toEqual(['Received from must be a real date']);
      await expect(page.locator('table').count()).resolves.toBe(0);
      await page.waitForFunction(() => (globalThis as any).document.activeElement?.classList.contains('error-summary'));
      await expectNoAxeViolations(page, 'the inbox with a bad date');
      await screenshot(page, 'inbox-error');
      // The summary's link takes you to the field.
      await page.locator('.error-summary__list a').click();
      expect((await focused(page))?.id).toBe('createdFrom');
    });

    it('searches and filters with JavaScript off', async () => {
      const page = await signedIn({ javaScriptEnabled: false });
      await page.getByLabel('Search', { exact: true }).fill(made[4].reference);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForURL(/q=POL-/);
      await expect(rows(page).count()).resolves.toBe(1);
      await expect(rows(page).first().innerText()).resolves.toContain(made[4].reference);

      await page.getByLabel('Search', { exact: true }).fill('');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForURL((url) => url.searchParams.get('q') === null || url.searchParams.get('q') === '');
      await page.getByRole('form', { name: 'Filters' }).getByLabel('Priority').selectOption('urgent');
      await page.getByLabel('Order').selectOption('oldest');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/priority=urgent/);
      const urgent = made.filter((_, i) => i % 7 === 0).map((m) => m.reference).reverse();
      const shown = await page.locator('table.inbox-table tbody th a').allInnerTexts();
      expect(shown).toEqual(urgent);
      await expect(page.locator('caption').innerText()).resolves.toBe(`All open, filtered – ${urgent.length} inquiries, oldest first`);
      await expectNoAxeViolations(page, 'the filtered inbox without JavaScript');
    });

    it('can be used with the keyboard alone: the search box and a view link, with Tab and Enter', async () => {
      const page = await signedIn();
      await tabUntil(page, '#q');
      await page.keyboard.type('vaping');
      await page.keyboard.press('Enter');
      await page.waitForURL(/q=vaping/);
      const vaping = await page.locator('table.inbox-table tbody td.inbox-row__subject').allInnerTexts();
      expect(vaping.length).toBeGreaterThan(0);
      for (const subject of vaping) expect(subject).toContain('vaping');

      await tabUntil(page, 'a.views-nav__link[href="/admin/inbox?view=mine"]');
      await page.keyboard.press('Enter');
      await page.waitForURL(/view=mine/);
      await expect(page.locator('nav[aria-label="Inbox views"] a[aria-current="page"]').innerText()).resolves.toMatch(/^Mine\s+\d/);
      const mine = made.filter((_, i) => i % 4 === 1).length;
      await expect(page.locator('caption').innerText()).resolves.toBe(`Mine – ${mine} inquiries, newest first`);
    });
  });
});
