import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { PLACEHOLDER_EMAIL } from '../src/privacy/anonymiser.js';
import { insertInquiry } from './inbox-fixtures.js';
import {
  BrowserPage, expectNoAxeViolations, focusedText, launchBrowser, newPage, screenshot, startWebApp, tabUntil, WebApp, signInOnPage,
} from './support/browser.js';
import { createStaffWithPassword, TEST_PASSWORD } from './support/web.js';

/**
 * Saved replies, Data protection, Audit log, Statistics and My account in a real Chromium: axe (WCAG 2.2 AA) finds
 * nothing in their empty, full and error states; a saved reply is added with the keyboard alone; a password is
 * changed with JavaScript off; the subject-access download and the erasure work as a person would use them.
 */
describe('staff pages (saved replies, data protection, audit log, statistics, my account) in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let admin: { id: string; email: string; name: string };
  let p: BrowserPage;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
    admin = await createStaffWithPassword(web.t, 'admin', { name: 'Priya Sharma' });
    p = await newPage(browser);
    page = p.page;
    await signIn(page, admin.email);
  });
  afterAll(async () => {
    await p?.close();
    await browser?.close();
    await web?.close();
  });

  async function signIn(on: Page, email: string, password = TEST_PASSWORD): Promise<void> {
    await signInOnPage(on, web.baseUrl, email, password);
  }

  async function open(path: string, status = 200): Promise<void> {
    const res = await page.goto(`${web.baseUrl}${path}`);
    expect(`${path} ${res?.status()}`).toBe(`${path} ${status}`);
    await page.waitForLoadState('load');
  }

  /** After a post that re-renders with errors: the summary is there and (with JavaScript) focused. */
  async function expectErrorSummary(on: Page = page): Promise<void> {
    await on.locator('.error-summary').waitFor();
    expect(await on.title()).toMatch(/^Error: /);
    await on.waitForFunction(() => (globalThis as any).document.activeElement?.classList.contains('error-summary'));
  }

  it('Saved replies: empty, errors, then one added with the keyboard alone, and the list', async () => {
    await open('/admin/saved-replies');
    expect(await page.title()).toBe('Saved replies – Policy Inbox');
    await expect(page.locator('main').innerText()).resolves.toContain('There are no saved replies yet');
    await expectNoAxeViolations(page, 'saved replies (empty)');

    await page.getByRole('button', { name: 'Add saved reply' }).click();
    await expectErrorSummary();
    await expectNoAxeViolations(page, 'saved replies (errors)');

    // The keyboard alone: Tab to each field, type, Tab to the button, Enter.
    await open('/admin/saved-replies');
    await tabUntil(page, '#title');
    expect(await focusedText(page)).toContain('Title');
    await page.keyboard.type('Waiting times: our latest briefing');
    await tabUntil(page, '#body');
    await page.keyboard.type('Thank you for your question about waiting times.');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Our latest briefing sets out what we are asking the government to do.');
    await tabUntil(page, 'form[action="/admin/saved-replies"] button[type="submit"]');
    expect(await focusedText(page)).toBe('Add saved reply');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/admin\/saved-replies$/);
    await page.locator('[data-notice]').waitFor();
    await expect(page.locator('[data-notice]').innerText()).resolves.toBe('Saved reply “Waiting times: our latest briefing” added');
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.hasAttribute('data-notice'));
    const [row] = await web.t.db.query(`SELECT body, created_by FROM canned_replies WHERE title = 'Waiting times: our latest briefing'`);
    expect(row).toEqual({ body: 'Thank you for your question about waiting times.\nOur latest briefing sets out what we are asking the government to do.', created_by: admin.id });

    for (const [title, body] of [
      ['Screening: bowel screening age', 'Bowel screening in England now starts at 50.\nHere is what that means.'],
      ['Out of scope: medical advice', 'We are not able to give medical advice. Please speak to your GP or call our nurses.'],
    ]) {
      await web.t.db.query(`INSERT INTO canned_replies (id, title, body, created_by) VALUES ($1, $2, $3, $4)`, [randomUUID(), title, body, admin.id]);
    }
    await open('/admin/saved-replies');
    await expectNoAxeViolations(page, 'saved replies (full)');
    await screenshot(page, 'saved-replies');

    // Its edit page, with an error, and the delete confirmation.
    await page.getByRole('link', { name: 'Edit “Screening: bowel screening age”' }).click();
    await page.waitForURL(/\/admin\/saved-replies\/[0-9a-f-]{36}$/);
    await expectNoAxeViolations(page, 'a saved reply');
    await page.getByLabel('Title').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectErrorSummary();
    await expectNoAxeViolations(page, 'a saved reply (errors)');
    await page.getByRole('link', { name: /^Delete saved reply/ }).click();
    await page.waitForURL(/\/delete$/);
    await expectNoAxeViolations(page, 'deleting a saved reply');
    await page.getByRole('button', { name: 'Yes, delete this saved reply' }).click();
    await page.waitForURL(/\/admin\/saved-replies$/);
    await expect(page.locator('[data-notice]').innerText()).resolves.toBe('Saved reply “Screening: bowel screening age” deleted');
    expect(await web.t.db.query(`SELECT 1 FROM canned_replies WHERE title LIKE 'Screening%'`)).toEqual([]);
  });

  it('Statistics: empty, then full with the chart and its table', async () => {
    await open('/admin/statistics');
    expect(await page.title()).toBe('Statistics – Policy Inbox');
    await expectNoAxeViolations(page, 'statistics (empty)');
    await expect(page.locator('svg.chart').getAttribute('aria-label')).resolves.toContain('there were none');

    // A dozen weeks of inquiries, more on some topics than others, and some spam that must not count.
    const topics = ['waiting-times', 'early-diagnosis', 'prevention', 'research-funding', 'workforce', 'data', 'other'];
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    let counted = 0;
    for (let week = 0; week < 12; week++) {
      for (let i = 0; i < 3 + (next() % 6); i++) {
        const topic = topics[Math.min(next() % 9, topics.length - 1)];
        const createdAt = new Date(Date.now() - (week * 7 + (next() % 5)) * 86_400_000).toISOString();
        const status = i === 0 && week % 4 === 0 ? 'spam' : ['new', 'open', 'waiting', 'resolved'][next() % 4];
        await insertInquiry(web.t, { topic, createdAt, status, firstResponseAt: status === 'waiting' ? new Date(Date.parse(createdAt) + 20 * 3600_000).toISOString() : null });
        if (status !== 'spam') counted++;
      }
    }
    await open('/admin/statistics');
    await expectNoAxeViolations(page, 'statistics (full)');
    const label = await page.locator('svg.chart').getAttribute('aria-label');
    expect(label).toMatch(/^Stacked bar chart of inquiries per week by topic for the 12 weeks from /);
    // Inquiries made today and 11 weeks ago may fall just outside the 12 UK weeks; the table says what is in them.
    const total = Number(await page.locator('.weekly-table tfoot .weekly-table__total').innerText());
    expect(total).toBeGreaterThan(counted * 0.8);
    expect(total).toBeLessThanOrEqual(counted);
    expect(label).toContain(`${total} inquiries in all`);
    expect(await page.locator('.weekly-table tbody tr').count()).toBe(12);
    await screenshot(page, 'statistics');
  });

  it('Data protection: empty, run now, the download, an erasure refused then done', async () => {
    await open('/admin/data-protection');
    expect(await page.title()).toBe('Data protection – Policy Inbox');
    await expect(page.locator('main').innerText()).resolves.toContain('Retention has not run yet');
    await expectNoAxeViolations(page, 'data protection (empty)');

    const old = await insertInquiry(web.t, { status: 'resolved' });
    await web.t.db.query(`UPDATE inquiries SET resolved_at = now() - interval '3 years' WHERE id = $1`, [old.id]);
    for (let day = 1; day <= 3; day++) {
      await web.t.db.query(
        `INSERT INTO retention_runs (id, trigger, run_date, cutoff, started_at, finished_at, anonymised_count)
         VALUES ($1, 'scheduled', current_date - $2::int, now() - interval '24 months', now() - make_interval(days => $2::int), now() - make_interval(days => $2::int) + interval '2 seconds', $2::int)`,
        [randomUUID(), day]);
    }
    await page.getByRole('button', { name: 'Run retention now' }).click();
    await page.waitForURL(/\/admin\/data-protection$/);
    await expect(page.locator('[data-notice]').innerText()).resolves.toBe('Retention has run: 1 inquiry and 0 inbound messages anonymised');
    await expectNoAxeViolations(page, 'data protection (full, after Run now)');
    await screenshot(page, 'data-protection');

    // Subject access: a download of JSON, named without the address.
    const subject = await insertInquiry(web.t, { name: 'Grace Hopper', email: `grace.${randomUUID().slice(0, 6)}@example.org` });
    await page.locator('#export-email').fill(subject.email);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download everything we hold' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^subject-access-\d{4}-\d{2}-\d{2}\.json$/);
    const data = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(data.inquiries.map((i: { reference: string }) => i.reference)).toEqual([subject.reference]);
    expect(page.url()).toBe(`${web.baseUrl}/admin/data-protection`);

    await page.locator('#export-email').fill('not an address');
    await page.getByRole('button', { name: 'Download everything we hold' }).click();
    await expectErrorSummary();
    await expectNoAxeViolations(page, 'data protection (subject access error)');

    // Erasure: the typed confirmation must match.
    await open('/admin/data-protection');
    await page.locator('#erase-email').fill(subject.email);
    await page.getByLabel('Type the email address again to confirm').fill(`${subject.email}x`);
    await page.getByRole('button', { name: 'Erase everything about this person' }).click();
    await expectErrorSummary();
    await expect(page.locator('.error-summary').innerText()).resolves.toContain('The two email addresses are not the same');
    await expectNoAxeViolations(page, 'data protection (erasure error)');
    await screenshot(page, 'data-protection-error');
    expect((await web.t.db.query(`SELECT email FROM inquiries WHERE id = $1`, [subject.id]))[0].email).toBe(subject.email);

    await page.getByLabel('Type the email address again to confirm').fill(subject.email);
    await page.getByRole('button', { name: 'Erase everything about this person' }).click();
    await page.waitForURL(/\/admin\/data-protection$/);
    await expect(page.locator('[data-notice]').innerText()).resolves.toContain('Erased: 1 inquiry and 0 inbound emails anonymised');
    expect((await web.t.db.query(`SELECT email FROM inquiries WHERE id = $1`, [subject.id]))[0].email).toBe(PLACEHOLDER_EMAIL);
  });

  it('Audit log: nothing matching, the full log, and bad filters', async () => {
    const inquiry = await insertInquiry(web.t, { subject: 'Lung screening roll-out' });
    const officer = await createStaffWithPassword(web.t, 'officer', { name: 'Sam Okafor' });
    const events: [string, string | null, string | null, object][] = [
      ['staff.invited', admin.id, null, { id: { from: officer.id, to: officer.id } }],
      ['inquiry.updated', admin.id, inquiry.id, { status: { from: 'new', to: 'open' }, assigneeId: { from: null, to: officer.id } }],
      ['note.added', officer.id, inquiry.id, { note: { from: null, to: randomUUID() } }],
      ['reply.sent', officer.id, inquiry.id, { status: { from: 'open', to: 'waiting' } }],
      ['inquiry.reopened', null, inquiry.id, { status: { from: 'waiting', to: 'open' } }],
    ];
    for (const [i, [action, actorId, inquiryId, changes]] of events.entries()) {
      const email = actorId === admin.id ? admin.email : actorId ? officer.email : null;
      await web.t.db.query(
        `INSERT INTO audit_events (id, inquiry_id, actor_id, actor_email, action, changes, created_at) VALUES ($1, $2, $3, $4, $5, $6, now() - make_interval(mins => $7::int))`,
        [randomUUID(), inquiryId, actorId, email, action, JSON.stringify(changes), 60 - i * 10]);
    }

    await open('/admin/audit?action=topic.created&from=2001-01-01&to=2001-01-02');
    expect(await page.title()).toBe('Audit log – Policy Inbox');
    await expect(page.locator('main').innerText()).resolves.toContain('Nothing in the audit log matches these filters.');
    await expectNoAxeViolations(page, 'audit log (nothing matching)');

    await open('/admin/audit');
    await expect(page.locator('.audit-table').innerText()).resolves.toContain('Erased everything about a person');
    await expectNoAxeViolations(page, 'audit log (full)');
    await screenshot(page, 'audit-log');

    // The filters, used as a person would: choose, type, apply.
    await page.getByLabel('Person').selectOption({ label: `Sam Okafor (${officer.email})` });
    await page.getByLabel('Inquiry reference').fill(inquiry.reference);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/actorId=/);
    const rows = await page.locator('.audit-table tbody tr').allInnerTexts();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('Sent a reply');
    expect(rows[1]).toContain('Added an internal note');
    expect(page.url()).not.toContain('@');

    await open('/admin/audit?inquiry=nope&from=31%2F12%2F2026', 400);
    await expectErrorSummary();
    await expectNoAxeViolations(page, 'audit log (bad filters)');
  });

  it('My account: who I am, a wrong password, then a change with JavaScript off that keeps only this browser signed in', async () => {
    await open('/admin/account');
    expect(await page.title()).toBe('My account – Policy Inbox');
    await expectNoAxeViolations(page, 'my account');
    await screenshot(page, 'account');
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password', { exact: true }).fill('a new and longer passphrase');
    await page.getByLabel('Type the new password again').fill('a new and longer passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expectErrorSummary();
    await expect(page.locator('.error-summary').innerText()).resolves.toContain('Your current password is not right');
    await expectNoAxeViolations(page, 'my account (errors)');

    const person = await createStaffWithPassword(web.t, 'officer', { name: 'Noor Changer' });
    const other = await newPage(browser);
    const noScript = await newPage(browser, { javaScriptEnabled: false });
    try {
      await signIn(other.page, person.email);
      await signIn(noScript.page, person.email);
      await noScript.page.goto(`${web.baseUrl}/admin/account`);
      const next = 'otters float holding hands at night';
      await noScript.page.getByLabel('Current password').fill(TEST_PASSWORD);
      await noScript.page.getByLabel('New password', { exact: true }).fill(next);
      await noScript.page.getByLabel('Type the new password again').fill(next);
      await noScript.page.getByRole('button', { name: 'Change password' }).click();
      await noScript.page.waitForURL(/\/admin\/account$/);
      await expect(noScript.page.locator('[data-notice]').innerText()).resolves.toBe('Your password has been changed');
      await expectNoAxeViolations(noScript.page, 'my account (changed, JavaScript off)');

      // This browser is still signed in; the other one is sent to sign in.
      await noScript.page.goto(`${web.baseUrl}/admin/saved-replies`);
      expect(noScript.page.url()).toBe(`${web.baseUrl}/admin/saved-replies`);
      await other.page.goto(`${web.baseUrl}/admin/saved-replies`);
      expect(other.page.url()).toBe(`${web.baseUrl}/admin/login?next=%2Fadmin%2Fsaved-replies`);
      const [entry] = await web.t.db.query(`SELECT actor_id FROM audit_events WHERE action = 'staff.password-changed'`);
      expect(entry.actor_id).toBe(person.id);
      expect([...other.errors, ...noScript.errors]).toEqual([]);
    } finally {
      await other.close();
      await noScript.close();
    }
    expect(p.errors).toEqual([]);
  });
});
