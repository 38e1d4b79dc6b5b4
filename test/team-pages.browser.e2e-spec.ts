import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { insertInquiry } from './inbox-fixtures.js';
import {
  BrowserPage, expectNoAxeViolations, focusedText, launchBrowser, newPage, screenshot, startWebApp, tabUntil, WebApp,
} from './support/browser.js';
import type { TestStaff } from './support/staff.js';
import { createStaffWithPassword, TEST_PASSWORD } from './support/web.js';

/**
 * The admins' team pages (SPEC §8) in a real Chromium: axe finds nothing (WCAG 2.2 AA) on each page empty, full and
 * with an error; an invitation sent with JavaScript off; a retry done with the keyboard alone.
 */
describe('the team pages in a real browser', () => {
  let browser: Browser;
  let web: WebApp;
  let admin: TestStaff;
  let p: BrowserPage;

  beforeAll(async () => {
    browser = await launchBrowser();
    web = await startWebApp();
    admin = await createStaffWithPassword(web.t, 'admin', { name: 'Alex Morgan' });
  });
  beforeEach(async () => {
    p = await newPage(browser);
    await signIn(p.page, '/admin/topics');
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

  const sql = (text: string, params: unknown[] = []) => web.t.db.query(text, params);

  async function signIn(page: Page, next: string): Promise<void> {
    await page.goto(`${web.baseUrl}/admin/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Email address', { exact: true }).fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web.baseUrl}${next}`);
  }

  async function open(page: Page, path: string, title: string): Promise<void> {
    const res = await page.goto(`${web.baseUrl}${path}`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe(`${title} – Policy Inbox`);
  }

  const noticeText = (page: Page) => page.locator('[data-notice]').innerText();

  it('Topics: empty, full, with errors, and the edit page', async () => {
    const { page } = p;
    // Empty: a fresh install without its starter topics (no inquiry refers to them yet).
    const seeded = await sql(`WITH gone AS (DELETE FROM topics RETURNING *) SELECT * FROM gone`);
    try {
      await open(page, '/admin/topics', 'Topics');
      await expect(page.locator('main').innerText()).resolves.toContain('There are no topics yet');
      await expectNoAxeViolations(page, 'Topics, empty');
    } finally {
      for (const t of seeded) {
        await sql(`INSERT INTO topics (key, label, description, mailbox, response_target_days, active, sort_order) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [t.key, t.label, t.description, t.mailbox, t.response_target_days, t.active, t.sort_order]);
      }
    }

    // Errors: the summary takes focus, and each message is on its field.
    await open(page, '/admin/topics', 'Topics');
    await page.getByLabel('Key', { exact: true }).fill('Bad Key');
    await page.getByLabel('Response target (working days)', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Add topic' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.title()).toBe('Error: Topics – Policy Inbox');
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.classList.contains('error-summary'));
    await expect(page.locator('#label-error').innerText()).resolves.toContain('Enter a label');
    await expectNoAxeViolations(page, 'Topics, with errors');

    // Full: add one with the mouse, then the list with every state in it.
    await page.getByLabel('Key', { exact: true }).fill('screening');
    await page.getByLabel('Label', { exact: true }).fill('Screening programmes');
    await page.getByLabel('Mailbox (optional)', { exact: true }).fill('screening@charity.example');
    await page.getByLabel('Response target (working days)', { exact: true }).fill('7');
    await page.getByRole('button', { name: 'Add topic' }).click();
    await page.waitForURL(`${web.baseUrl}/admin/topics`);
    await expect(noticeText(page)).resolves.toBe('Topic “Screening programmes” added');
    await sql(`UPDATE topics SET active = false WHERE key = 'other'`);
    await open(page, '/admin/topics', 'Topics');
    await expect(page.getByRole('row', { name: /Something else/ }).innerText()).resolves.toContain('Inactive');
    await expectNoAxeViolations(page, 'Topics, full');
    await screenshot(page, 'topics');

    // The edit link is named for its topic; the edit page, and an error on it.
    await page.getByRole('link', { name: 'Edit Screening programmes' }).click();
    await page.waitForURL(`${web.baseUrl}/admin/topics/screening`);
    expect(await page.title()).toBe('Edit topic: Screening programmes – Policy Inbox');
    await expectNoAxeViolations(page, 'Edit topic');
    await page.getByLabel('Mailbox', { exact: true }).fill('not an address');
    await page.getByRole('button', { name: 'Save topic' }).click();
    await page.locator('.error-summary').waitFor();
    await expectNoAxeViolations(page, 'Edit topic, with errors');
    await page.getByLabel('Mailbox', { exact: true }).fill('');
    await page.getByLabel('Active', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save topic' }).click();
    await page.waitForURL(`${web.baseUrl}/admin/topics`);
    await expect(noticeText(page)).resolves.toBe('Topic “Screening programmes” saved');
    const [row] = await sql(`SELECT mailbox, active FROM topics WHERE key = 'screening'`);
    expect(row).toEqual({ mailbox: null, active: false });
  });

  it('Staff: only me, an invitation sent with JavaScript off, everyone, and with errors', async () => {
    const { page } = p;
    await open(page, '/admin/staff', 'Staff');
    await expect(page.locator('main').innerText()).resolves.toContain('You are the only person with an account so far');
    await expectNoAxeViolations(page, 'Staff, only me');

    // With JavaScript off: the plain form posts, the server answers 303, the notice shows.
    const plain = await newPage(browser, { javaScriptEnabled: false });
    try {
      await signIn(plain.page, '/admin/staff');
      await plain.page.getByLabel('Name', { exact: true }).fill('Priya Shah');
      await plain.page.getByLabel('Email address', { exact: true }).fill('priya.shah@charity.example');
      await plain.page.getByLabel('Role', { exact: true }).selectOption('officer');
      await plain.page.getByRole('button', { name: 'Send invitation' }).click();
      await plain.page.waitForURL(`${web.baseUrl}/admin/staff`);
      await expect(noticeText(plain.page)).resolves.toBe('Invitation sent to Priya Shah at priya.shah@charity.example');
      await expect(plain.page.getByRole('row', { name: /Priya Shah/ }).innerText()).resolves.toContain('Invitation sent');
      await expectNoAxeViolations(plain.page, 'Staff after an invitation, JavaScript off');
    } finally {
      await plain.close();
    }
    const [invited] = await sql(`SELECT id, role, password_hash FROM staff WHERE email = 'priya.shah@charity.example'`);
    expect(invited).toMatchObject({ role: 'officer', password_hash: null });
    expect(await sql(`SELECT kind FROM outbound_emails WHERE recipient = 'priya.shah@charity.example'`)).toEqual([{ kind: 'invitation' }]);
    expect(plain.errors).toEqual([]);

    // Everyone: officers, another admin, a deactivated account.
    await createStaffWithPassword(web.t, 'officer', { name: 'Sam Okafor' });
    await createStaffWithPassword(web.t, 'admin', { name: 'Jo Bloggs' });
    const gone = await createStaffWithPassword(web.t, 'officer', { name: 'Dana Price' });
    await sql(`UPDATE staff SET active = false, token_version = 2 WHERE id = $1`, [gone.id]);
    await open(page, '/admin/staff', 'Staff');
    await expect(page.getByRole('button', { name: 'Reactivate Dana Price' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Deactivate Sam Okafor' }).count()).resolves.toBe(1);
    await expect(page.getByLabel('Role of Sam Okafor', { exact: true }).inputValue()).resolves.toBe('officer');
    await expectNoAxeViolations(page, 'Staff, full');
    await screenshot(page, 'staff');

    // A role changed with the mouse.
    await page.getByLabel('Role of Sam Okafor', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Change role of Sam Okafor' }).click();
    await page.waitForURL(`${web.baseUrl}/admin/staff`);
    await expect(noticeText(page)).resolves.toBe('Sam Okafor is now an admin (team lead)');

    // Errors.
    await page.getByLabel('Email address', { exact: true }).fill('not-an-address');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.title()).toBe('Error: Staff – Policy Inbox');
    await expect(page.locator('.error-summary__list').innerText()).resolves.toContain('Enter their name');
    await expectNoAxeViolations(page, 'Staff, with errors');
  });

  it('Failed emails: none, some, a retry with the keyboard alone, and one that no longer failed', async () => {
    const { page } = p;
    await open(page, '/admin/failed-emails', 'Failed emails');
    await expect(page.locator('main').innerText()).resolves.toContain('No emails have failed.');
    await expectNoAxeViolations(page, 'Failed emails, empty');

    const inquiry = await insertInquiry(web.t, { name: 'Aisha Khan', email: 'aisha.khan@example.org' });
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const rows: [string, string, string | null, string][] = [
      [ids[0], 'acknowledgement', inquiry.id, 'aisha.khan@example.org'],
      [ids[1], 'reply', inquiry.id, 'aisha.khan@example.org'],
      [ids[2], 'invitation', null, 'new.starter@charity.example'],
    ];
    for (const [id, kind, inquiryId, to] of rows) {
      await sql(`INSERT INTO outbound_emails (id, kind, inquiry_id, recipient, subject, message_id, status, attempts, last_error, created_at)
                 VALUES ($1::uuid, $2, $3, $4::text, 'A subject', '<' || $1::text || '@localhost>', 'failed', 5, '550 5.1.1 <' || $4::text || '>: Recipient address rejected', now() - interval '1 hour')`,
        [id, kind, inquiryId, to]);
    }
    await open(page, '/admin/failed-emails', 'Failed emails');
    await expect(page.getByRole('link', { name: inquiry.reference }).first().getAttribute('href')).resolves.toBe(`/admin/inquiries/${inquiry.reference}`);
    await expectNoAxeViolations(page, 'Failed emails, full');
    await screenshot(page, 'failed-emails');

    // The keyboard alone: Tab to the reply's Retry, press Enter.
    const label = `Retry the reply to aisha.khan@example.org about ${inquiry.reference}`;
    await tabUntil(page, `form[action="/admin/failed-emails/${ids[1]}/retry"] button`);
    expect(await focusedText(page)).toBe(label);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${web.baseUrl}/admin/failed-emails`);
    await page.locator('[data-notice]').waitFor();
    await expect(noticeText(page)).resolves.toBe('The reply to aisha.khan@example.org will be sent again');
    // The notice takes focus, so a screen reader reads it.
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.hasAttribute('data-notice'));
    const [retried] = await sql(`SELECT status, message_id FROM outbound_emails WHERE id = $1`, [ids[1]]);
    expect(retried).toEqual({ status: 'pending', message_id: `<${ids[1]}@localhost>` });

    // Retried by someone else while this page was open: 409, said on the page.
    await sql(`UPDATE outbound_emails SET status = 'sent', sent_at = now() WHERE id = $1`, [ids[0]]);
    await page.getByRole('button', { name: `Retry the acknowledgement to aisha.khan@example.org about ${inquiry.reference}` }).click();
    await page.locator('.error-summary').waitFor();
    await expect(page.locator('.error-summary').innerText()).resolves.toContain('This email is no longer failed');
    await expectNoAxeViolations(page, 'Failed emails, with a conflict');
  });

  it('Holding pen: empty, full, an unknown reference, and an attachment', async () => {
    const { page } = p;
    await open(page, '/admin/holding-pen', 'Holding pen');
    await expect(page.locator('main').innerText()).resolves.toContain('The holding pen is empty');
    await expectNoAxeViolations(page, 'Holding pen, empty');

    const inquiry = await insertInquiry(web.t, { status: 'resolved' });
    const held = [
      { from: 'aisha.home@example.net', subject: `Re: [${inquiry.reference}] Two-week wait referrals`, reason: 'sender_mismatch',
        body: 'Writing from my home address.\n\nThe figures for our region are here:\n  - 2024: 71%\n  - 2025: 68%\n\nThanks, Aisha' },
      { from: 'press.office@example.com', subject: '<script>alert("pen")</script> Interview request', reason: 'no_match',
        body: 'Could someone from the policy team speak to us on Friday? <b>Urgent</b>' },
    ];
    const ids: string[] = [];
    for (const [i, m] of held.entries()) {
      const id = randomUUID();
      ids.push(id);
      const raw = `From: <${m.from}>\r\nTo: policy@localhost\r\nSubject: ${m.subject}\r\nMessage-ID: <${id}@example.net>\r\n\r\n${m.body.replace(/\n/g, '\r\n')}\r\n`;
      await sql(`INSERT INTO inbound_emails (id, raw, source, message_id, from_address, subject, status, hold_reason, received_at)
                 VALUES ($1, $2, 'smtp', $3, $4, $5, 'held', $6, now() - make_interval(mins => $7))`,
        [id, Buffer.from(raw), `<${id}@example.net>`, m.from, m.subject, m.reason, 10 + i]);
    }
    await open(page, '/admin/holding-pen', 'Holding pen');
    await expect(page.getByRole('heading', { level: 2, name: '<script>alert("pen")</script> Interview request' }).count()).resolves.toBe(1);
    await page.getByText('Read the message from aisha.home@example.net').click();
    await expect(page.locator('.held-message__body').first().innerText()).resolves.toContain('  - 2024: 71%');
    await page.locator('h1').click(); // the focus off the summary, for the screenshot
    await expectNoAxeViolations(page, 'Holding pen, full');
    await screenshot(page, 'holding-pen');

    // An unknown reference: 400, the message on its field, what was typed kept.
    const field = page.locator(`#reference-${ids[0]}`);
    await field.fill('POL-ZZZZZZ');
    await page.getByRole('button', { name: 'Attach the message from aisha.home@example.net' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.title()).toBe('Error: Holding pen – Policy Inbox');
    await expect(page.locator(`#reference-${ids[0]}-error`).innerText()).resolves.toContain('No inquiry has this reference');
    await expect(field.inputValue()).resolves.toBe('POL-ZZZZZZ');
    await expectNoAxeViolations(page, 'Holding pen, with an error');

    await field.fill(inquiry.reference);
    await page.getByRole('button', { name: 'Attach the message from aisha.home@example.net' }).click();
    await page.waitForURL(`${web.baseUrl}/admin/holding-pen`);
    await expect(noticeText(page)).resolves.toBe(`The message from aisha.home@example.net is now on inquiry ${inquiry.reference}`);
    await expect(page.locator('.held-message').count()).resolves.toBe(1);
    const [row] = await sql(`SELECT status, inquiry_id FROM inbound_emails WHERE id = $1`, [ids[0]]);
    expect(row).toEqual({ status: 'attached', inquiry_id: inquiry.id });
    const [{ status }] = await sql(`SELECT status FROM inquiries WHERE id = $1`, [inquiry.id]);
    expect(status).toBe('open');
  });
});
