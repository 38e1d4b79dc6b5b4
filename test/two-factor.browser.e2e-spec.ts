import type { Browser, Page } from 'playwright-core';
import {
  BrowserPage, expectNoAxeViolations, focusedText, launchBrowser, newPage, screenshot, startWebApp, tabUntil, WebApp,
} from './support/browser.js';
import { createStaffWithPassword, TEST_PASSWORD } from './support/web.js';
import { awayFromStepEdge, codeFor } from './two-factor-helpers.js';

/**
 * Two-factor sign-in in a real Chromium: enrolment from My account (the key read off the page, codes computed here
 * with our TOTP module), the recovery codes, signing in with the "Security code" step — with the keyboard alone, and
 * with JavaScript off and a recovery code — and an admin's reset from Staff. axe (WCAG 2.2 AA) finds nothing on
 * the enrolment page, the recovery codes, the code step (empty and with an error) and the reset confirmation.
 */
describe('two-factor sign-in in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let officer: { id: string; email: string; name: string };
  let admin: { id: string; email: string; name: string };
  let p: BrowserPage;
  let page: Page;
  let key = '';
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
    officer = await createStaffWithPassword(web.t, 'officer', { name: 'Sam Okafor' });
    admin = await createStaffWithPassword(web.t, 'admin', { name: 'Priya Sharma' });
    p = await newPage(browser);
    page = p.page;
  });
  afterAll(async () => {
    await p?.close();
    await browser?.close();
    await web?.close();
  });

  async function password(on: Page, email: string, next?: string): Promise<void> {
    await on.goto(`${web.baseUrl}/admin/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    await on.getByLabel('Email address').fill(email);
    await on.getByLabel('Password').fill(TEST_PASSWORD);
    await on.getByRole('button', { name: 'Sign in' }).click();
  }

  async function expectErrorSummary(on: Page = page): Promise<void> {
    await on.locator('.error-summary').waitFor();
    expect(await on.title()).toMatch(/^Error: /);
  }

  it('enrols from My account: QR code and key, a first code, then the recovery codes shown once', async () => {
    await password(page, officer.email);
    await page.waitForURL(/\/admin\/inbox$/);
    await page.getByRole('link', { name: 'My account' }).click();
    await page.waitForURL(/\/admin\/account$/);
    await expect(page.locator('main').innerText()).resolves.toMatch(/Two-factor sign-in\s+Off/);
    await expectNoAxeViolations(page, 'My account (two-factor sign-in off)');

    await page.getByRole('link', { name: 'Set up two-factor sign-in' }).click();
    await page.waitForURL(/\/admin\/account\/two-factor$/);
    expect(await page.title()).toBe('Set up two-factor sign-in – Policy Inbox');
    const qr = page.getByRole('img', { name: /QR code for adding the Policy Inbox to an authenticator app/ });
    await qr.waitFor();
    // The QR code is drawn from our own data: URI (no request to anyone else), and is really there.
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await qr.evaluate((img: any) => img.complete && img.naturalWidth > 0)).toBe(true);
    const shown = (await page.locator('#setup-key').innerText()).trim();
    expect(shown).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    key = shown.replace(/ /g, '');
    const field = page.getByLabel('Security code');
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await field.getAttribute('inputmode')).toBe('numeric');
    await expectNoAxeViolations(page, 'set up two-factor sign-in');
    await screenshot(page, 'two-factor-setup');

    await field.fill(codeFor(key, 4));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await expectErrorSummary();
    await expect(page.locator('.error-summary').innerText()).resolves.toContain('The security code is not right');
    expect((await page.locator('#setup-key').innerText()).replace(/ /g, '')).toBe(key);
    await expectNoAxeViolations(page, 'set up two-factor sign-in (wrong code)');

    await awayFromStepEdge();
    await page.getByLabel('Security code').fill(codeFor(key));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your recovery codes' }).waitFor();
    expect(await page.title()).toBe('Your recovery codes – Policy Inbox');
    await expect(page.getByRole('status').innerText()).resolves.toContain('Two-factor sign-in is on');
    recoveryCodes = await page.getByRole('list', { name: 'Recovery codes' }).locator('li').allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    await expect(page.locator('main').innerText()).resolves.toContain('These codes are shown only this once');
    await expectNoAxeViolations(page, 'recovery codes');
    await screenshot(page, 'two-factor-recovery-codes');

    await page.getByRole('link', { name: 'Back to My account' }).click();
    await expect(page.locator('main').innerText()).resolves.toMatch(/Two-factor sign-in\s+On since/);
    await expect(page.locator('main').innerText()).resolves.toContain('10 of 10');
    await expectNoAxeViolations(page, 'My account (two-factor sign-in on)');
    await page.getByLabel('Security code').first().fill('12');
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await expectErrorSummary();
    await expectNoAxeViolations(page, 'My account (a code error)');
    await screenshot(page, 'two-factor-account');
    expect(p.errors).toEqual([]);
  });

  it('signs in on the web with the code step: empty and wrong codes first, then with the keyboard alone', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/admin\/login\?signedOut=1$/);
    await password(page, officer.email, '/admin/account');
    await page.waitForURL(/\/admin\/login\/security-code$/);
    expect(await page.title()).toBe('Security code – Policy Inbox');
    const field = page.getByLabel('Security code');
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await field.getAttribute('inputmode')).toBe('numeric');
    await expect(page.locator('main').innerText()).resolves.toContain('a recovery code also works');
    await expectNoAxeViolations(page, 'security code step');
    await screenshot(page, 'security-code');

    await page.getByRole('button', { name: 'Continue' }).click();
    await expectErrorSummary();
    await expect(page.locator('.error-summary').innerText()).resolves.toContain('Enter the security code');
    await expectNoAxeViolations(page, 'security code step (empty)');
    await page.getByLabel('Security code').fill(codeFor(key, 5));
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectErrorSummary();
    await expect(page.locator('.error-summary').innerText()).resolves.toContain('The security code is not right');
    await expectNoAxeViolations(page, 'security code step (wrong code)');
    await screenshot(page, 'security-code-error');

    // The keyboard alone: from the top of a fresh page, Tab to the field, type, Tab to Continue, Enter.
    await page.goto(`${web.baseUrl}/admin/login/security-code`);
    await tabUntil(page, '#code');
    expect(await focusedText(page)).toContain('Security code');
    await page.keyboard.type(codeFor(key, 1));
    await tabUntil(page, 'form[action="/admin/login/security-code"] button[type="submit"]');
    expect(await focusedText(page)).toBe('Continue');
    // The focus is visible: the focused button has an outline or a box shadow that differs from its resting one.
    const ring = await page.evaluate(() => {
      const el: any = (globalThis as any).document.activeElement;
      const s = (globalThis as any).getComputedStyle(el);
      return { outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow };
    });
    expect(ring.outline || ring.shadow !== 'none').toBe(true);
    await page.keyboard.press('Enter');
    // `next` was carried through the code step.
    await page.waitForURL(/\/admin\/account$/);
    expect(p.errors).toEqual([]);
  });

  it('signs in with a recovery code with JavaScript off, once', async () => {
    const noJs = await newPage(browser, { javaScriptEnabled: false });
    try {
      await password(noJs.page, officer.email);
      await noJs.page.waitForURL(/\/admin\/login\/security-code$/);
      await noJs.page.getByLabel('Security code').fill(recoveryCodes[0]);
      await noJs.page.getByRole('button', { name: 'Continue' }).click();
      await noJs.page.waitForURL(/\/admin\/inbox$/);
      await expect(noJs.page.getByRole('status').innerText()).resolves.toContain('You have 9 recovery codes left');
      await noJs.page.getByRole('button', { name: 'Sign out' }).click();
      await password(noJs.page, officer.email);
      await noJs.page.getByLabel('Security code').fill(recoveryCodes[0]);
      await noJs.page.getByRole('button', { name: 'Continue' }).click();
      await noJs.page.locator('.error-summary').waitFor();
      await expect(noJs.page.locator('.error-summary').innerText()).resolves.toContain('The security code is not right');
      await expectNoAxeViolations(noJs.page, 'security code step (used recovery code, JavaScript off)');
      expect(noJs.errors).toEqual([]);
    } finally {
      await noJs.close();
    }
  });

  it('lets an admin reset it from Staff after a confirmation', async () => {
    const adminPage = await newPage(browser);
    try {
      const on = adminPage.page;
      await password(on, admin.email);
      await on.waitForURL(/\/admin\/inbox$/);
      await on.goto(`${web.baseUrl}/admin/staff`);
      await expect(on.locator('main').innerText()).resolves.toContain('Two-factor sign-in on');
      await expectNoAxeViolations(on, 'Staff (with two-factor sign-in)');
      await screenshot(on, 'two-factor-staff');
      await on.getByRole('button', { name: `Reset two-factor sign-in of ${officer.name}` }).click();
      await on.getByRole('heading', { level: 1, name: `Reset two-factor sign-in of ${officer.name}?` }).waitFor();
      await expectNoAxeViolations(on, 'reset two-factor sign-in (confirmation)');
      await screenshot(on, 'two-factor-reset');
      await on.getByRole('button', { name: 'Yes, reset two-factor sign-in' }).click();
      await on.waitForURL(/\/admin\/staff$/);
      await expect(on.getByRole('status').innerText()).resolves.toContain(`Two-factor sign-in of ${officer.name} has been reset`);
      expect(adminPage.errors).toEqual([]);
    } finally {
      await adminPage.close();
    }
    // The officer's session has ended.
    await page.goto(`${web.baseUrl}/admin/inbox`);
    await page.waitForURL(/\/admin\/login/);
  });
});
