import request from 'supertest';
import type { Browser, Page } from 'playwright-core';
import { BrowserPage, expectNoAxeViolations, launchBrowser, newPage, screenshot, startWebApp, WebApp, signInOnPage } from './support/browser.js';
import { validInquiry } from './support/factories.js';
import { TestStaff } from './support/staff.js';
import { createStaffWithPassword } from './support/web.js';

/**
 * The inquiry page (SPEC §8) in a real Chromium: accessible (axe, WCAG 2.2 AA) full, with errors, in conflict and
 * refused; a stale save in two browser contexts; reply and note with JavaScript off; the notice focused with it on.
 */
describe('the inquiry page in a real browser', () => {
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
    await request(web.t.http).post('/api/admin/canned-replies').set('Authorization', sam.auth)
      .send({ title: 'Screening ages', body: 'Bowel screening starts at 50 in England.' }).expect(201);
  });
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
  });

  const db = () => web.t.db;
  const api = (method: 'post', path: string, as: TestStaff) => request(web.t.http)[method](path).set('Authorization', as.auth);

  /** A fresh context signed in as `who` through the sign-in page. */
  async function signedIn(who: TestStaff, javaScriptEnabled = true): Promise<BrowserPage> {
    const p = await newPage(browser, { javaScriptEnabled });
    opened.push(p);
    await signInOnPage(p.page, web.baseUrl, who.email);
    return p;
  }

  async function openInquiry(page: Page, reference: string): Promise<void> {
    const res = await page.goto(`${web.baseUrl}/admin/inquiries/${reference}`);
    expect(res?.status()).toBe(200);
  }

  /** Waits for the answer to a form post (303 after a success, or the page drawn again) and its page; answers the post's status. */
  async function submitting(page: Page, click: () => Promise<void>): Promise<number> {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/admin/inquiries/')),
      click(),
    ]);
    await page.waitForLoadState('load');
    return response.status();
  }

  async function openAllDetails(page: Page): Promise<void> {
    for (const summary of await page.locator('details > summary').all()) await summary.click();
  }

  const submit = async (overrides: Record<string, unknown> = {}) =>
    (await request(web.t.http).post('/api/inquiries').send(validInquiry(overrides)).expect(201)).body as { id: string; reference: string };

  it('the full page (reply, note, failed email, sensitive data) is accessible, and its screenshot taken', async () => {
    const { id, reference } = await submit({
      name: 'Aisha Khan', subject: 'Two-week wait referrals in my region',
      message: 'What is the charity doing about the two-week wait target?\n\nMy NHS number is 943 476 5919 if you need it.',
    });
    await api('post', `/api/admin/inquiries/${id}/notes`, priya).send({ body: 'Asked the screening lead for figures.' }).expect(201);
    await api('post', `/api/admin/inquiries/${id}/replies`, sam).send({ body: 'Thank you for your question.\n\nWe are looking into it.' }).expect(202);
    await db().query(`UPDATE outbound_emails SET status = 'failed', attempts = 3, last_error = '550 5.1.1 mailbox unavailable'
                      WHERE inquiry_id = $1 AND kind = 'reply'`, [id]);
    await db().query(`UPDATE outbound_emails SET status = 'sent', attempts = 1, sent_at = now() WHERE inquiry_id = $1 AND kind <> 'reply'`, [id]);
    await db().query(`UPDATE inquiries SET tags = '{screening,"MP letter"}', priority = 'urgent' WHERE id = $1`, [id]);

    const p = await signedIn(sam);
    await openInquiry(p.page, reference);
    expect(await p.page.title()).toBe(`${reference}: Two-week wait referrals in my region – Policy Inbox`);
    await expect(p.page.locator('h1').innerText()).resolves.toBe(`${reference}: Two-week wait referrals in my region`);
    await expect(p.page.locator('.warning-text').first().innerText()).resolves.toContain('This inquiry may contain an NHS number');
    const labels = await p.page.locator('.conversation__label').allInnerTexts();
    expect(labels).toEqual(['From the enquirer', 'Internal note by Priya Shah', 'Reply by Sam Okafor']);
    await expect(p.page.locator('.conversation__item--reply').innerText()).resolves.toContain('Failed: 550 5.1.1 mailbox unavailable');
    // A note is set apart in more than colour: its own border and background, and words.
    const [noteBg, replyBg] = await Promise.all(['.conversation__item--note', '.conversation__item--reply']
      .map((sel) => p.page.locator(sel).evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor)));
    expect(noteBg).not.toBe(replyBg);
    const [noteForm, replyForm] = await Promise.all(['.writing--note', '.writing--reply']
      .map((sel) => p.page.locator(sel).evaluate((el) => (globalThis as any).getComputedStyle(el).borderStyle)));
    expect(noteForm).toBe('dashed');
    expect(replyForm).toBe('solid');

    await openAllDetails(p.page);
    await expect(p.page.locator('.history').innerText()).resolves.toContain('Sam Okafor sent a reply (status from New to Waiting)');
    await expectNoAxeViolations(p.page, 'the inquiry page, full');
    await screenshot(p.page, 'inquiry');
    expect(p.errors).toEqual([]);
  });

  it('the error state (400) is accessible and focuses the error summary', async () => {
    const { reference } = await submit();
    const p = await signedIn(sam);
    await openInquiry(p.page, reference);
    const status = await submitting(p.page, () => p.page.getByRole('button', { name: 'Add note' }).click());
    expect(status).toBe(400);
    expect(await p.page.title()).toMatch(/^Error: /);
    await p.page.waitForFunction(() => (globalThis as any).document.activeElement?.classList.contains('error-summary'));
    await expect(p.page.locator('.error-summary').innerText()).resolves.toContain('Enter the note');
    await expectNoAxeViolations(p.page, 'the inquiry page with an error');
    expect(p.errors).toEqual([]);
  });

  it('a stale save in two browser contexts: B sees "Someone else changed this inquiry" (409) and A\'s change stands', async () => {
    const { id, reference } = await submit({ subject: 'Screening for people under 50' });
    const a = await signedIn(sam);
    const b = await signedIn(priya);
    await openInquiry(a.page, reference);
    await openInquiry(b.page, reference);

    await a.page.getByLabel('Priority').selectOption('high');
    await a.page.getByLabel('Tags').fill('screening');
    expect(await submitting(a.page, () => a.page.getByRole('button', { name: 'Save changes' }).click())).toBe(303);
    await expect(a.page.locator('[data-notice]').innerText()).resolves.toBe('Changes saved');

    // B still has the page as it was before A saved.
    await b.page.getByLabel('Status').selectOption('open');
    await b.page.getByLabel('Priority').selectOption('low');
    expect(await submitting(b.page, () => b.page.getByRole('button', { name: 'Save changes' }).click())).toBe(409);
    const alert = b.page.locator('[role="alert"]');
    await expect(alert.locator('h2').innerText()).resolves.toBe('Someone else changed this inquiry');
    await expect(alert.innerText()).resolves.toContain('Sam Okafor changed priority from Normal to High and tags from none to screening');
    await b.page.waitForFunction(() => (globalThis as any).document.activeElement?.getAttribute('role') === 'alert');
    // The form shows the current values.
    expect(await b.page.getByLabel('Priority').inputValue()).toBe('high');
    expect(await b.page.getByLabel('Status').inputValue()).toBe('new');
    expect(await b.page.getByLabel('Tags').inputValue()).toBe('screening');
    await expectNoAxeViolations(b.page, 'the inquiry page in conflict');
    await screenshot(b.page, 'inquiry-conflict');

    const [row] = await db().query(`SELECT status, priority, tags, version FROM inquiries WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'new', priority: 'high', tags: ['screening'], version: 2 });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('the refused states (422) are accessible: a reply to an inquiry resolved meanwhile keeps the text; a forbidden move says why', async () => {
    const { id, reference } = await submit();
    const p = await signedIn(sam);
    await openInquiry(p.page, reference);
    await db().query(`UPDATE inquiries SET status = 'resolved', resolved_at = now(), version = version + 1 WHERE id = $1`, [id]);
    await p.page.getByLabel('Your reply', { exact: true }).fill('A long answer I do not want to lose.');
    expect(await submitting(p.page, () => p.page.getByRole('button', { name: 'Send reply' }).click())).toBe(422);
    await expect(p.page.locator('.error-summary').innerText()).resolves.toContain('Your reply was not sent');
    expect(await p.page.locator('#reply-body').inputValue()).toBe('A long answer I do not want to lose.');
    expect(await p.page.getByRole('button', { name: 'Send reply' }).count()).toBe(0);
    await expectNoAxeViolations(p.page, 'the inquiry page after a refused reply');
    await screenshot(p.page, 'inquiry-reply-refused');

    // A status the list does not offer (a tampered form): the workflow refuses it and says why.
    await p.page.locator('#status').evaluate((el: any) => { el.add(new (globalThis as any).Option('Waiting', 'waiting')); el.value = 'waiting'; });
    expect(await submitting(p.page, () => p.page.getByRole('button', { name: 'Save changes' }).click())).toBe(422);
    await expect(p.page.locator('.error-summary').innerText())
      .resolves.toContain('This inquiry is Resolved, and a Resolved inquiry cannot move to Waiting. From Resolved it can move to Open.');
    await expectNoAxeViolations(p.page, 'the inquiry page after a forbidden move');
    const [row] = await db().query(`SELECT status FROM inquiries WHERE id = $1`, [id]);
    expect(row.status).toBe('resolved');
    expect(p.errors).toEqual([]);
  });

  it('without JavaScript: insert a saved reply, send the reply and add a note', async () => {
    const { id, reference } = await submit({ email: 'nojs.enquirer@example.org' });
    const p = await signedIn(sam, false);
    await openInquiry(p.page, reference);

    await p.page.getByLabel('Your reply', { exact: true }).fill('Dear Aisha,');
    await p.page.getByLabel('Insert a saved reply').selectOption({ label: 'Screening ages' });
    expect(await submitting(p.page, () => p.page.getByRole('button', { name: 'Insert saved reply' }).click())).toBe(200);
    expect(await p.page.getByLabel('Your reply', { exact: true }).inputValue()).toBe('Dear Aisha,\n\nBowel screening starts at 50 in England.');
    const [{ n }] = await db().query(`SELECT count(*)::int AS n FROM conversation_messages WHERE inquiry_id = $1`, [id]);
    expect(n).toBe(0);

    expect(await submitting(p.page, () => p.page.getByRole('button', { name: 'Send reply' }).click())).toBe(303);
    expect(p.page.url()).toBe(`${web.baseUrl}/admin/inquiries/${reference}`);
    await expect(p.page.locator('[data-notice]').innerText()).resolves.toBe('Reply sent to nojs.enquirer@example.org');
    await expect(p.page.locator('.conversation__item--reply').innerText()).resolves.toContain('Bowel screening starts at 50 in England.');

    await p.page.getByLabel('Internal note', { exact: true }).fill('Sent the standard answer.');
    await submitting(p.page, () => p.page.getByRole('button', { name: 'Add note' }).click());
    await expect(p.page.locator('[data-notice]').innerText()).resolves.toBe('Note added');
    await expect(p.page.locator('.conversation__item--note').innerText()).resolves.toContain('Sent the standard answer.');

    const [row] = await db().query(`SELECT status FROM inquiries WHERE id = $1`, [id]);
    expect(row.status).toBe('waiting');
    const emails = await db().query(`SELECT kind FROM outbound_emails WHERE inquiry_id = $1 ORDER BY created_at, kind`, [id]);
    expect(emails.map((e: { kind: string }) => e.kind).sort()).toEqual(['acknowledgement', 'reply', 'routing']);
    expect(p.errors).toEqual([]);
  });

  it('with JavaScript: a saved reply is inserted in place, and "Reply sent to …" is focused after sending', async () => {
    const { reference } = await submit({ email: 'js.enquirer@example.org' });
    const p = await signedIn(sam);
    await openInquiry(p.page, reference);
    const url = p.page.url();

    await p.page.getByLabel('Your reply', { exact: true }).fill('Dear Aisha,');
    await p.page.getByLabel('Insert a saved reply').selectOption({ label: 'Screening ages' });
    await p.page.getByRole('button', { name: 'Insert saved reply' }).click();
    expect(await p.page.getByLabel('Your reply', { exact: true }).inputValue()).toBe('Dear Aisha,\n\nBowel screening starts at 50 in England.');
    expect(p.page.url()).toBe(url); // nothing was posted
    await expect(p.page.locator('[data-insert-status]').innerText()).resolves.toBe('Saved reply “Screening ages” inserted');
    expect(await p.page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('reply-body');

    expect(await submitting(p.page, () => p.page.getByRole('button', { name: 'Send reply' }).click())).toBe(303);
    await p.page.waitForFunction(() => (globalThis as any).document.activeElement?.hasAttribute('data-notice'));
    await expect(p.page.locator('[data-notice]').innerText()).resolves.toBe('Reply sent to js.enquirer@example.org');
    expect(await p.page.locator('[data-notice]').getAttribute('role')).toBe('status');
    expect(p.errors).toEqual([]);
  });
});
