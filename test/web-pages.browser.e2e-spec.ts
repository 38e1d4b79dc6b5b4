import type { Browser, Page } from 'playwright-core';
import {
  BrowserPage, expectNoAxeViolations, focused, launchBrowser, newPage, screenshot, startWebApp, WebApp,
} from './support/browser.js';
import type { TestStaff } from './support/staff.js';
import { createStaffWithPassword, TEST_PASSWORD } from './support/web.js';

/**
 * The pages no other browser test covers, in a real Chromium with axe (WCAG 2.2 AA): the sign-in page empty, with
 * an error and locked out; the start page; the 404 and 403 pages; the signed-out page; and the skip link.
 */
describe('the sign-in, start and error pages in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let officer: TestStaff;
  let p: BrowserPage;

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
    officer = await createStaffWithPassword(web.t, 'officer', { name: 'Olivia Officer' });
  });
  beforeEach(async () => {
    p = await newPage(browser);
  });
  afterEach(async () => {
    const errors = p.errors;
    await p.close();
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  async function signInWith(page: Page, email: string, password: string): Promise<number> {
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/admin/login')),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await page.waitForLoadState('load');
    return response.status();
  }

  async function signedIn(page: Page, who: TestStaff): Promise<void> {
    await page.goto(`${web.baseUrl}/admin/login`);
    expect(await signInWith(page, who.email, TEST_PASSWORD)).toBe(303);
    await page.waitForURL(`${web.baseUrl}/admin/inbox`);
  }

  const summaryFocused = (page: Page) =>
    page.waitForFunction(() => (globalThis as any).document.activeElement?.classList.contains('error-summary'));

  it('the sign-in page, empty: accessible, and its screenshot taken', async () => {
    const { page } = p;
    const res = await page.goto(`${web.baseUrl}/admin/login`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('Sign in – Policy Inbox');
    await expect(page.locator('h1').innerText()).resolves.toBe('Sign in to the Policy Inbox');
    expect(await page.getByLabel('Email address').getAttribute('autocomplete')).toBe('username');
    expect(await page.getByLabel('Password').getAttribute('autocomplete')).toBe('current-password');
    // No navigation for someone not signed in.
    await expect(page.getByRole('navigation', { name: 'Staff pages' }).count()).resolves.toBe(0);
    await expectNoAxeViolations(page, 'the sign-in page, empty');
    await screenshot(page, 'sign-in');
  });

  it('the sign-in page with errors: nothing entered, then a wrong password (the summary focused, the email kept)', async () => {
    const { page } = p;
    await page.goto(`${web.baseUrl}/admin/login`);
    expect(await signInWith(page, '', '')).toBe(400);
    expect(await page.title()).toBe('Error: Sign in – Policy Inbox');
    await summaryFocused(page);
    await expect(page.locator('.error-summary__list a').allInnerTexts()).resolves.toEqual(['Enter your email address', 'Enter your password']);
    await expectNoAxeViolations(page, 'the sign-in page, nothing entered');

    expect(await signInWith(page, officer.email, 'not the password at all')).toBe(401);
    expect(await page.title()).toBe('Error: Sign in – Policy Inbox');
    await summaryFocused(page);
    await expect(page.locator('.error-summary__list a').allInnerTexts()).resolves.toEqual(['The email address or password is not right']);
    expect(await page.getByLabel('Email address').inputValue()).toBe(officer.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    await expectNoAxeViolations(page, 'the sign-in page, wrong password');
    await screenshot(page, 'sign-in-error');
    // The summary's link takes you to the field.
    await page.locator('.error-summary__list a').click();
    expect((await focused(page))?.id).toBe('email');
  });

  it('the sign-in page locked out after 6 wrong tries: says how long to wait, and refuses even the right password', async () => {
    const { page } = p;
    const locked = await createStaffWithPassword(web.t, 'officer', { name: 'Lou Locked' });
    await page.goto(`${web.baseUrl}/admin/login`);
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push(await signInWith(page, locked.email, `wrong password ${i}`));
    expect(answers).toEqual([401, 401, 401, 401, 401, 429]);
    await summaryFocused(page);
    await expect(page.locator('.error-summary__list').innerText())
      .resolves.toMatch(/^There have been too many failed attempts to sign in with this email address\. Wait 1[45] minutes, then try again\.$/);
    await expectNoAxeViolations(page, 'the sign-in page, locked out');
    await screenshot(page, 'sign-in-locked');
    expect(await signInWith(page, locked.email, TEST_PASSWORD)).toBe(429);
    const [{ n }] = await web.t.db.query(`SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1`, [locked.id]);
    expect(n).toBe(0);
  });

  it('the start page "/" (outside production): accessible, linking every part', async () => {
    const { page } = p;
    const res = await page.goto(`${web.baseUrl}/`);
    expect(res?.status()).toBe(200);
    await expect(page.locator('h1').innerText()).resolves.toBe('Policy Inbox');
    const links = await page.locator('main a').evaluateAll((as: any[]) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(expect.arrayContaining(['/contact', '/admin/inbox', '/api/docs']));
    await expectNoAxeViolations(page, 'the start page');
    await screenshot(page, 'start');
  });

  it('the 404 page: an inquiry that does not exist, signed in', async () => {
    const { page } = p;
    await signedIn(page, officer);
    const res = await page.goto(`${web.baseUrl}/admin/inquiries/POL-000000`);
    expect(res?.status()).toBe(404);
    expect(res?.headers()['content-type']).toMatch(/text\/html/);
    expect(await page.title()).toBe('Page not found – Policy Inbox');
    await expect(page.locator('h1').innerText()).resolves.toBe('Page not found');
    await expect(page.getByRole('link', { name: 'Go to the inbox' }).isVisible()).resolves.toBe(true);
    // Still in the staff frame: who is signed in, and the navigation.
    await expect(page.locator('.staff-header__who').innerText()).resolves.toBe('Signed in as Olivia Officer');
    await expectNoAxeViolations(page, 'the 404 page');
    await screenshot(page, 'not-found');
  });

  it('the 403 page: an officer opening an admin page (Topics)', async () => {
    const { page } = p;
    await signedIn(page, officer);
    const res = await page.goto(`${web.baseUrl}/admin/topics`);
    expect(res?.status()).toBe(403);
    expect(await page.title()).toBe('You need to be an admin to use this page – Policy Inbox');
    await expect(page.locator('main').innerText()).resolves.toContain('This page is for team leads (admins) of the Policy Inbox.');
    // An officer's navigation has no admin pages in it.
    await expect(page.getByRole('navigation', { name: 'Staff pages' }).getByRole('link', { name: 'Topics' }).count()).resolves.toBe(0);
    await expectNoAxeViolations(page, 'the 403 page');
    await screenshot(page, 'forbidden');
  });

  it('the signed-out page: after "Sign out", accessible, and the inbox asks to sign in again', async () => {
    const { page } = p;
    await signedIn(page, officer);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${web.baseUrl}/admin/login?signedOut=1`);
    await expect(page.locator('main').innerText()).resolves.toContain('You have signed out.');
    await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(0);
    await expectNoAxeViolations(page, 'the signed-out page');
    await screenshot(page, 'signed-out');
    await page.goto(`${web.baseUrl}/admin/inbox`);
    expect(page.url()).toBe(`${web.baseUrl}/admin/login`);
  });

  it('the skip link is the first Tab stop on a staff page, visibly focused, and Enter moves focus to the main content', async () => {
    const { page } = p;
    await signedIn(page, officer);
    await page.goto(`${web.baseUrl}/admin/saved-replies`);
    await page.keyboard.press('Tab');
    const first = await focused(page);
    expect(first).toMatchObject({ tagName: 'a', text: 'Skip to main content' });
    const shown = await page.evaluate(() => {
      const g: any = globalThis;
      const el = g.document.activeElement;
      const box = el.getBoundingClientRect();
      const s = g.getComputedStyle(el);
      return { width: box.width, height: box.height, top: box.top, outline: s.outlineStyle, boxShadow: s.boxShadow };
    });
    // On screen when focused (it is off-screen otherwise), with a focus indicator.
    expect(shown.width).toBeGreaterThan(1);
    expect(shown.height).toBeGreaterThan(1);
    expect(shown.top).toBeGreaterThanOrEqual(0);
    expect(shown.outline !== 'none' || shown.boxShadow !== 'none').toBe(true);

    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === 'main');
    expect((await focused(page))?.tagName).toBe('main');
    expect(new URL(page.url()).hash).toBe('#main');
    // The next Tab goes on inside the page, not back to the header.
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => !!(globalThis as any).document.activeElement?.closest('main'));
    expect(next).toBe(true);
  });
});
