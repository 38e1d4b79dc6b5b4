import type { Browser, Page } from 'playwright-core';
import {
  BrowserPage, expectNoAxeViolations, focused, focusedText, launchBrowser, newPage, screenshot, startWebApp, tabUntil, WebApp,
} from './support/browser.js';

/**
 * The public form (SPEC §3.1) in a real Chromium, with and without JavaScript: accessible (axe, WCAG 2.2 AA)
 * when empty, with errors and on the confirmation page, and usable with the keyboard alone.
 */
describe('the public pages in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  beforeAll(async () => {
    // Both throw when something is missing: a browser test fails, never skips.
    browser = await launchBrowser();
    web = await startWebApp();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  const REFERENCE = /^POL-[0-9A-HJKMNP-TV-Z]{6}$/;

  /** Presses Enter on the form's button, reached with Tab alone. */
  async function submitWithKeyboard(page: Page): Promise<void> {
    await tabUntil(page, 'button[type="submit"]');
    expect(await focusedText(page)).toBe('Send your question');
    await page.keyboard.press('Enter');
  }

  /** Fills the whole form in with Tab, typing, Space and arrow keys: no clicks. Returns what was entered. */
  async function fillWithKeyboard(page: Page, email: string) {
    await tabUntil(page, '#name');
    await page.keyboard.type('Siân Llywelyn');
    await tabUntil(page, '#email');
    expect(await focusedText(page)).toBe('Email address');
    await page.keyboard.type(email);
    await tabUntil(page, '#organisation');
    await page.keyboard.type('Bowel Cancer Research Group');

    // Radios: Tab enters the group at its first option, Space selects it, arrows move the selection.
    await tabUntil(page, 'input[name="enquirerType"]');
    expect(await focusedText(page)).toBe('Member of the public');
    await page.keyboard.press('Space');
    expect(await page.isChecked('input[name="enquirerType"][value="public"]')).toBe(true);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focusedText(page)).toBe('Researcher');
    expect(await page.isChecked('input[name="enquirerType"][value="researcher"]')).toBe(true);

    await tabUntil(page, '#topic');
    await page.keyboard.press('ArrowDown'); // the first topic after "Choose a topic"
    const topic = await page.inputValue('#topic');
    expect(topic).not.toBe('');

    await tabUntil(page, '#subject');
    await page.keyboard.type('Bowel screening age');
    await tabUntil(page, '#message');
    const message = 'When will bowel screening start at 50 across England?';
    await page.keyboard.type(message);

    await tabUntil(page, '#consent');
    await page.keyboard.press('Space');
    expect(await page.isChecked('#consent')).toBe(true);
    // The honeypot (tabindex=-1, aria-hidden) is never reached on the way to the button.
    const info = await focused(page);
    expect(info?.id).toBe('consent');
    return { topic, message };
  }

  async function journey(p: BrowserPage, javaScript: boolean) {
    const { page } = p;
    const shots = javaScript;
    const response = await page.goto(`${web.baseUrl}/contact`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Email the policy team – Policy team');
    await expect(page.locator('h1').innerText()).resolves.toBe('Email the policy team');
    await expectNoAxeViolations(page, `the empty contact form (JavaScript ${javaScript ? 'on' : 'off'})`);
    if (shots) await screenshot(page, 'contact-form');

    // The first Tab reaches the skip link.
    await page.keyboard.press('Tab');
    expect(await focusedText(page)).toBe('Skip to main content');

    // Sent empty: the error summary, each field's message, the title starting "Error:".
    await submitWithKeyboard(page);
    await page.locator('.error-summary').waitFor();
    await page.waitForLoadState('load');
    expect(await page.title()).toBe('Error: Email the policy team – Policy team');
    await expect(page.locator('.error-summary__title').innerText()).resolves.toBe('There is a problem');
    const summary = await page.locator('.error-summary__list a').allInnerTexts();
    expect(summary).toEqual(expect.arrayContaining(['Enter your name', 'Enter your email address', 'Select who you are asking as',
      'Select what your question is about', 'Enter a subject', 'Enter your question',
      'Confirm that we may use your details to answer your question']));
    await expect(page.locator('#name-error').innerText()).resolves.toContain('Enter your name');
    if (javaScript) {
      // The script moves focus to the summary so a screen reader announces it.
      await page.waitForFunction(() => (globalThis as any).document.activeElement?.classList.contains('error-summary'));
    }
    await expectNoAxeViolations(page, `the contact form with errors (JavaScript ${javaScript ? 'on' : 'off'})`);
    if (shots) await screenshot(page, 'contact-errors');

    const email = `sian.${Math.random().toString(36).slice(2, 10)}@example.org`;
    const { topic, message } = await fillWithKeyboard(page, email);
    await expect(page.locator('#message-info').innerText()).resolves.toBe(
      javaScript ? `You have ${5000 - [...message].length} characters remaining` : 'You can enter up to 5000 characters',
    );
    await submitWithKeyboard(page);
    await page.waitForURL(/\/contact\/confirmation\?receipt=/);
    await page.waitForLoadState('load');

    expect(await page.title()).toBe('Your question has been sent – Policy team');
    await expect(page.locator('h1').innerText()).resolves.toBe('Your question has been sent');
    const reference = (await page.locator('.reference').innerText()).trim();
    expect(reference).toMatch(REFERENCE);
    await expect(page.locator('main').innerText()).resolves.toMatch(/We aim to reply by \w+day \d{1,2} \w+ \d{4}/);
    await expectNoAxeViolations(page, `the confirmation page (JavaScript ${javaScript ? 'on' : 'off'})`);
    if (shots) await screenshot(page, 'confirmation');

    const rows = await web.t.db.query(
      `SELECT name, email, organisation, enquirer_type, topic_key, subject, message, consent, channel, status, spam_reason
         FROM inquiries WHERE reference = $1`,
      [reference],
    );
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({
      name: 'Siân Llywelyn', email, organisation: 'Bowel Cancer Research Group', enquirer_type: 'researcher',
      topic_key: topic, subject: 'Bowel screening age', message, consent: true, channel: 'form',
    });
    // Typed by a machine in under 3 s, so it may be marked as spam: the sender sees the confirmation all the same.
    if (row.status === 'spam') expect(row.spam_reason).toBe('form posted too fast');
    else expect(row.status).toBe('new');
  }

  it('with JavaScript: accessible when empty, with errors and when sent; keyboard only; no console errors or CSP violations', async () => {
    const p = await newPage(browser, { javaScriptEnabled: true });
    try {
      await journey(p, true);
      expect(p.errors).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('without JavaScript: the same journey works and stays accessible', async () => {
    const p = await newPage(browser, { javaScriptEnabled: false });
    try {
      await journey(p, false);
      expect(p.errors).toEqual([]);
    } finally {
      await p.close();
    }
  });
});
