import type { Browser, Page } from 'playwright-core';
import { BrowserPage, expectNoAxeViolations, focused, launchBrowser, newPage, screenshot, startWebApp, WebApp, signInOnPage } from './support/browser.js';
import { insertInquiry } from './inbox-fixtures.js';
import { TestStaff } from './support/staff.js';
import { createStaffWithPassword } from './support/web.js';

/**
 * Keyboard shortcuts (SPEC §9) in a real Chromium, with the keyboard alone: j/k through the inbox and Enter opens,
 * x selects, r/n focus the reply and the note, a assigns to me, e resolves (both checked in the database), / searches,
 * g i goes to the inbox, ? lists them (Escape closes, focus comes back); never while typing; off in My account.
 */
describe('keyboard shortcuts in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let sam: TestStaff;
  const opened: BrowserPage[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
    sam = await createStaffWithPassword(web.t, 'officer', { name: 'Sam Okafor' });
    for (let i = 0; i < 3; i++) await insertInquiry(web.t, { subject: `Question ${i + 1} about screening` });
  });
  afterEach(async () => {
    for (const p of opened.splice(0)) {
      expect(p.errors).toEqual([]);
      await p.close();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  async function signedIn(who: TestStaff): Promise<Page> {
    const p = await newPage(browser);
    opened.push(p);
    await signInOnPage(p.page, web.baseUrl, who.email);
    return p.page;
  }

  const references = (page: Page) => page.locator('.inbox-table tbody tr th a').allInnerTexts();
  const currentRows = (page: Page) => page.locator('.inbox-table tbody tr.inbox-row--current th a').allInnerTexts();
  const inquiry = async (reference: string) =>
    (await web.t.db.query(`SELECT status, assignee_id FROM inquiries WHERE reference = $1`, [reference]))[0] as { status: string; assignee_id: string | null };
  /** Waits for the shortcuts' role=status region to say `text`. */
  const statusSays = (page: Page, text: string) =>
    page.waitForFunction((t) => (globalThis as any).document.querySelector('[data-shortcuts-status]')?.textContent === t, text, { timeout: 5000 });
  /** Presses a key that makes the page navigate, and waits for the new page. */
  async function pressAndLoad(page: Page, key: string): Promise<void> {
    await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
  }

  it('j/k move through the inbox with the reference focused, x selects, Enter opens the inquiry', async () => {
    const page = await signedIn(sam);
    const refs = await references(page);
    expect(refs.length).toBe(3);

    await page.keyboard.press('j');
    expect((await focused(page))?.text).toBe(refs[0]);
    expect(await currentRows(page)).toEqual([refs[0]]);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect((await focused(page))?.text).toBe(refs[2]);
    await page.keyboard.press('k');
    expect((await focused(page))?.text).toBe(refs[1]);
    expect(await currentRows(page)).toEqual([refs[1]]);
    await screenshot(page, 'shortcuts-inbox-current-row');

    // x ticks the row's "Select POL-…" checkbox (bulk changes) and says so; focus stays on the row.
    const box = page.locator('.inbox-table tbody tr.inbox-row--current').getByRole('checkbox', { name: `Select ${refs[1]}` });
    await page.keyboard.press('x');
    expect(await box.isChecked()).toBe(true);
    await statusSays(page, `${refs[1]} selected`);
    await page.keyboard.press('x');
    expect(await box.isChecked()).toBe(false);
    expect((await focused(page))?.text).toBe(refs[1]);

    await pressAndLoad(page, 'Enter');
    expect(new URL(page.url()).pathname).toBe(`/admin/inquiries/${refs[1]}`);
  });

  it('r focuses "Your reply" and n "Internal note"; typing there types, it fires nothing', async () => {
    const [{ reference }] = await web.t.db.query(`SELECT reference FROM inquiries ORDER BY created_at LIMIT 1`);
    const page = await signedIn(sam);
    await page.goto(`${web.baseUrl}/admin/inquiries/${reference}`);
    await page.keyboard.press('r');
    expect(await focused(page)).toMatchObject({ id: 'reply-body', text: expect.stringContaining('Your reply') });
    await page.keyboard.type('n is for now');
    expect(await page.getByLabel('Your reply').inputValue()).toBe('n is for now');
    expect((await focused(page))?.id).toBe('reply-body');

    await page.goto(`${web.baseUrl}/admin/inquiries/${reference}`);
    await page.keyboard.press('n');
    expect(await focused(page)).toMatchObject({ id: 'note-body', text: expect.stringContaining('Internal note') });
    await page.keyboard.type('r e a g');
    expect(await page.getByRole('textbox', { name: 'Internal note' }).inputValue()).toBe('r e a g');
    expect(new URL(page.url()).pathname).toBe(`/admin/inquiries/${reference}`);
  });

  it('a assigns the inquiry to me and e resolves it (in the database)', async () => {
    const { reference } = await insertInquiry(web.t, { subject: 'To be assigned and resolved', status: 'open' });
    const page = await signedIn(sam);
    await page.goto(`${web.baseUrl}/admin/inquiries/${reference}`);

    await pressAndLoad(page, 'a');
    expect((await inquiry(reference)).assignee_id).toBe(sam.id);
    expect(await page.getByRole('button', { name: 'Assign to me' }).count()).toBe(0);
    // Nothing left to assign: it says so rather than doing nothing silently.
    await page.keyboard.press('a');
    await statusSays(page, 'This inquiry is already assigned to you');

    await pressAndLoad(page, 'e');
    expect((await inquiry(reference)).status).toBe('resolved');
    expect(new URL(page.url()).pathname).toBe(`/admin/inquiries/${reference}`);
    await page.keyboard.press('e');
    await statusSays(page, 'This inquiry is already resolved');
    expect((await inquiry(reference)).status).toBe('resolved');
  });

  it('/ focuses Search (from another page too) and typing j there types a j and moves nothing; g i goes to the inbox', async () => {
    const page = await signedIn(sam);
    await page.keyboard.press('/');
    expect(await focused(page)).toMatchObject({ id: 'q', text: 'Search' });
    await page.keyboard.type('j');
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('j');
    expect(await currentRows(page)).toEqual([]);
    expect((await focused(page))?.id).toBe('q');

    await page.goto(`${web.baseUrl}/admin/account`);
    await pressAndLoad(page, '/');
    expect(new URL(page.url()).pathname).toBe('/admin/inbox');
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === 'q');
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('');

    await page.goto(`${web.baseUrl}/admin/saved-replies`);
    await page.keyboard.press('g');
    await pressAndLoad(page, 'i');
    expect(new URL(page.url()).pathname).toBe('/admin/inbox');
  });

  it('? opens the list of shortcuts (no axe violations), Escape closes it and focus returns', async () => {
    const page = await signedIn(sam);
    await page.keyboard.press('j');
    const [first] = await references(page);
    expect((await focused(page))?.text).toBe(first);

    await page.keyboard.press('Shift+Slash');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.getByRole('table').innerText()).toMatch(/g then i\s+Go to the inbox/);
    expect((await focused(page))?.text).toBe('Close');
    await screenshot(page, 'shortcuts-dialog');
    await expectNoAxeViolations(page, 'the inbox with the list of keyboard shortcuts open');
    // Shortcuts are asleep while the list is open.
    await page.keyboard.press('j');
    expect(await currentRows(page)).toEqual([first]);

    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(false);
    expect((await focused(page))?.text).toBe(first);

    // The header's "Keyboard shortcuts (?)" opens it too; Close closes it and focus goes back to the link.
    const link = page.getByRole('link', { name: 'Keyboard shortcuts (?)' });
    await link.focus();
    await page.keyboard.press('Enter');
    expect(await dialog.isVisible()).toBe(true);
    await page.keyboard.press('Enter'); // Close has focus
    expect(await dialog.isVisible()).toBe(false);
    expect((await focused(page))?.text).toBe('Keyboard shortcuts (?)');
    expect(new URL(page.url()).pathname).toBe('/admin/inbox');
  });

  it('turned off in My account, j and ? do nothing; turned on again, they work', async () => {
    const page = await signedIn(sam);
    await page.goto(`${web.baseUrl}/admin/account`);
    await expectNoAxeViolations(page, 'My account with the keyboard shortcuts setting');
    await page.getByRole('group', { name: 'Keyboard shortcuts' }).getByLabel('Off').check();
    await Promise.all([page.waitForURL(/\/admin\/account$/), page.getByRole('button', { name: 'Save', exact: true }).click()]);
    expect(await page.locator('[data-notice]').innerText()).toContain('Keyboard shortcuts are off');
    expect((await web.t.db.query(`SELECT keyboard_shortcuts FROM staff WHERE id = $1`, [sam.id]))[0].keyboard_shortcuts).toBe(false);
    await screenshot(page, 'shortcuts-account-setting');

    await page.goto(`${web.baseUrl}/admin/inbox`);
    expect(await page.locator('body').getAttribute('data-shortcuts')).toBe('off');
    await page.keyboard.press('j');
    await page.keyboard.press('Shift+Slash');
    await page.keyboard.press('/');
    expect(await currentRows(page)).toEqual([]);
    expect(await focused(page)).toBeNull();
    expect(await page.getByRole('dialog').count()).toBe(0);

    await page.goto(`${web.baseUrl}/admin/account`);
    await page.getByRole('group', { name: 'Keyboard shortcuts' }).getByLabel('On').check();
    await Promise.all([page.waitForURL(/\/admin\/account$/), page.getByRole('button', { name: 'Save', exact: true }).click()]);
    await page.goto(`${web.baseUrl}/admin/inbox`);
    await page.keyboard.press('j');
    expect((await currentRows(page)).length).toBe(1);
  });
});
