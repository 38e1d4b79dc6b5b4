import { createHash } from 'node:crypto';
import request from 'supertest';
import type { Browser, Page } from 'playwright-core';
import {
  BrowserPage, expectNoAxeViolations, focused, launchBrowser, newPage, startWebApp, tabUntil, WebApp,
} from './support/browser.js';
import { validInquiry } from './support/factories.js';
import { ReceivedMessage, TestSmtpServer } from './support/smtp.js';
import type { TestStaff } from './support/staff.js';
import { createStaffWithPassword, TEST_PASSWORD } from './support/web.js';

/**
 * The whole journey of issue 11 in a real Chromium, three times: with the mouse, with the keyboard alone and with
 * JavaScript off. Sign in → open the oldest unassigned inquiry → "Assign to me" → reply → resolve, each step checked
 * in the database, and the reply at a real SMTP server (threaded under the acknowledgement). The app runs its mail
 * workers; every inquiry came in through the public API, so each has its acknowledgement and routing email.
 */
describe('the whole journey in a real browser (SPEC §8)', () => {
  let browser: Browser;
  let smtp: TestSmtpServer;
  let web: WebApp;
  let admin: TestStaff;
  const opened: BrowserPage[] = [];

  interface Submitted { id: string; reference: string; email: string; subject: string; ack: ReceivedMessage; routing: ReceivedMessage }
  /** In the order they arrived, oldest first. The oldest of all is assigned to the admin, so it is not "the oldest unassigned". */
  const arrived: Submitted[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    smtp = await TestSmtpServer.start();
    web = await startWebApp({
      env: { WORKERS: 'inline', SMTP_URL: smtp.url, LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' },
      config: { mail: { backoffMs: 200, maxAttempts: 12, relayPollMs: 200, leaseMs: 3_000, concurrency: 4, maxConnections: 2 } },
    });
    admin = await createStaffWithPassword(web.t, 'admin', { name: 'Alex Morgan' });

    const subjects = [
      'Radiographer vacancies in the North West', 'Two-week wait referrals in Yorkshire', 'Bowel screening from age 50',
      'Lung health checks near me', 'Tobacco duty and vaping', 'Cancer registry data request',
    ];
    for (const [i, subject] of subjects.entries()) {
      const dto = validInquiry({ subject, email: `enquirer.${i + 1}@example.org`, name: ['Aisha Khan', 'Tom Evans', 'Priya Shah'][i % 3] });
      const { body } = await request(web.t.http).post('/api/inquiries').send(dto).expect(201);
      const [ack, routing] = await Promise.all([
        smtp.waitFor({ reference: body.reference, kind: 'acknowledgement' }),
        smtp.waitFor({ reference: body.reference, kind: 'routing' }),
      ]);
      arrived.push({ id: body.id, reference: body.reference, email: dto.email as string, subject, ack, routing });
    }
    // Different ages, as in a real inbox: from six days old down to a few hours.
    for (const [i, { id }] of arrived.entries()) {
      await web.t.db.query(`UPDATE inquiries SET created_at = now() - make_interval(hours => $2) WHERE id = $1`, [id, (arrived.length - i) * 24 - 20]);
    }
    const [{ version }] = await web.t.db.query(`SELECT version FROM inquiries WHERE id = $1`, [arrived[0].id]);
    await request(web.t.http).patch(`/api/admin/inquiries/${arrived[0].id}`).set('Authorization', admin.auth)
      .send({ assigneeId: admin.id, version }).expect(200);
  }, 60_000);
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await smtp?.close();
  });

  const sql = (text: string, params: unknown[] = []) => web.t.db.query(text, params);

  /** The inquiry the Unassigned view, oldest first, must put first: by the database, not by the page. */
  async function oldestUnassigned(): Promise<Submitted> {
    const [row] = await sql(
      `SELECT id FROM inquiries WHERE assignee_id IS NULL AND status IN ('new', 'open', 'waiting') ORDER BY created_at, id LIMIT 1`);
    const found = arrived.find((a) => a.id === row?.id);
    if (!found) throw new Error('No unassigned inquiry left for the journey');
    expect(found.id).not.toBe(arrived[0].id);
    return found;
  }

  async function browse(javaScriptEnabled: boolean): Promise<BrowserPage> {
    const p = await newPage(browser, { javaScriptEnabled });
    opened.push(p);
    return p;
  }

  // ---- What each step leaves behind --------------------------------------------------------------------------

  /** Signed in: the browser's session cookie names a stored session of this person. */
  async function expectSession(p: BrowserPage, who: TestStaff): Promise<void> {
    const cookie = (await p.context.cookies()).find((c) => c.name === 'pi_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const idHash = createHash('sha256').update(cookie!.value).digest('hex');
    const rows = await sql(`SELECT staff_id FROM staff_sessions WHERE id_hash = $1`, [idHash]);
    expect(rows).toEqual([{ staff_id: who.id }]);
  }

  async function expectAssigned(inquiry: Submitted, who: TestStaff): Promise<void> {
    const [row] = await sql(`SELECT assignee_id, status FROM inquiries WHERE id = $1`, [inquiry.id]);
    expect(row).toEqual({ assignee_id: who.id, status: 'new' });
  }

  /** One reply in the conversation with its outbound email, and that email at the SMTP server, threaded. */
  async function expectReplied(inquiry: Submitted, who: TestStaff, text: string): Promise<void> {
    const messages = await sql(
      `SELECT direction, body, staff_id, outbound_email_id FROM conversation_messages WHERE inquiry_id = $1 ORDER BY created_at`, [inquiry.id]);
    expect(messages.filter((m: { direction: string }) => m.direction === 'outbound')).toEqual([
      { direction: 'outbound', body: text, staff_id: who.id, outbound_email_id: expect.any(String) },
    ]);
    const emailId = messages.find((m: { direction: string }) => m.direction === 'outbound').outbound_email_id;
    const [email] = await sql(`SELECT kind, recipient, subject, message_id, in_reply_to, "references" FROM outbound_emails WHERE id = $1`, [emailId]);
    expect(email).toMatchObject({ kind: 'reply', recipient: inquiry.email });
    const [{ status }] = await sql(`SELECT status FROM inquiries WHERE id = $1`, [inquiry.id]);
    expect(status).toBe('waiting');

    const delivered = await smtp.waitFor({ reference: inquiry.reference, kind: 'reply' });
    expect(delivered.to).toEqual([inquiry.email]);
    expect(delivered.subject).toBe(`Re: ${inquiry.subject} [${inquiry.reference}]`);
    expect(delivered.inReplyTo).toBe(inquiry.ack.messageId);
    expect(delivered.references).toContain(inquiry.ack.messageId);
    expect(delivered.text).toContain(text);
    const bare = (id: string | null) => (id ?? '').replace(/^<|>$/g, '');
    expect(bare(delivered.messageId)).toBe(bare(email.message_id));

    // The worker records the delivery: the row is "sent" soon after the server said 250.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [{ status: delivery }] = await sql(`SELECT status FROM outbound_emails WHERE id = $1`, [emailId]);
      if (delivery === 'sent') break;
      if (Date.now() > deadline) throw new Error(`The reply's outbound email is still ${delivery}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function expectResolved(inquiry: Submitted, who: TestStaff): Promise<void> {
    const [row] = await sql(`SELECT status, resolved_at, assignee_id FROM inquiries WHERE id = $1`, [inquiry.id]);
    expect(row).toEqual({ status: 'resolved', resolved_at: expect.any(Date), assignee_id: who.id });
    // Nothing was sent twice, and only one reply went out.
    expect(smtp.find({ reference: inquiry.reference, kind: 'reply' })).toHaveLength(1);
    expect(smtp.duplicates().size).toBe(0);
  }

  // ---- How the page answers ------------------------------------------------------------------------------------

  /** Does `act` (a click or a key), waits for its post's answer and the notice on the page drawn after it. */
  async function posting(page: Page, act: () => Promise<void>, notice: string): Promise<void> {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
      act(),
    ]);
    expect(response.status()).toBe(303);
    await page.locator('[data-notice]', { hasText: notice }).waitFor();
    await page.waitForLoadState('load');
    await expectNoticeSays(page, notice);
  }

  async function expectNoticeSays(page: Page, text: string): Promise<void> {
    await expect(page.locator('[data-notice]').innerText()).resolves.toBe(text);
  }

  async function expectOnInquiry(page: Page, inquiry: Submitted): Promise<void> {
    await expect(page.locator('h1').innerText()).resolves.toBe(`${inquiry.reference}: ${inquiry.subject}`);
  }

  /** The Unassigned view, oldest first, lists the expected inquiry first, and the older assigned one not at all. */
  async function expectOldestFirst(page: Page, inquiry: Submitted): Promise<void> {
    expect(new URL(page.url()).searchParams.get('view')).toBe('unassigned');
    expect(new URL(page.url()).searchParams.get('sort')).toBe('oldest');
    await expect(page.locator('caption').innerText()).resolves.toMatch(/^Unassigned – \d+ inquir(y|ies), oldest first$/);
    const refs = await page.locator('table.inbox-table tbody th a').allInnerTexts();
    expect(refs[0]).toBe(inquiry.reference);
    expect(refs).not.toContain(arrived[0].reference);
  }

  /** The focused element shows that it has focus: an outline or a box shadow (WCAG 2.4.7). */
  async function expectFocusVisible(page: Page, what: string): Promise<void> {
    const style = await page.evaluate(() => {
      const g: any = globalThis;
      const el = g.document.activeElement;
      const s = g.getComputedStyle(el);
      return { tag: String(el.tagName).toLowerCase(), outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, boxShadow: s.boxShadow };
    });
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadowed = style.boxShadow !== 'none' && style.boxShadow !== '';
    if (!outlined && !shadowed) throw new Error(`No visible focus on ${what} (${JSON.stringify(style)})`);
  }

  /** Presses an arrow key on the focused <select> until `value` is chosen (a closed select moves its choice). */
  async function chooseWithArrows(page: Page, selector: string, value: string): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const now = await page.locator(selector).inputValue();
      if (now === value) return;
      const options = await page.locator(`${selector} option`).evaluateAll((os: any[]) => os.map((o) => o.value));
      await page.keyboard.press(options.indexOf(value) > options.indexOf(now) ? 'ArrowDown' : 'ArrowUp');
    }
    throw new Error(`${selector} did not reach ${value} with the arrow keys`);
  }

  const isButton = (label: string) => (el: { tagName: string; text: string }) => el.tagName === 'button' && el.text === label;

  // ---- The three journeys ------------------------------------------------------------------------------------

  it('with the mouse (JavaScript on): every page of the journey accessible, no console errors or CSP violations', async () => {
    const sam = await createStaffWithPassword(web.t, 'officer', { name: 'Sam Okafor' });
    const inquiry = await oldestUnassigned();
    const replyText = 'Thank you for asking.\n\nRadiographer posts are a priority in our workforce plan.';
    const p = await browse(true);
    const { page } = p;

    // Sign in.
    await page.goto(`${web.baseUrl}/admin/login`);
    await expectNoAxeViolations(page, 'the sign-in page');
    await page.getByLabel('Email address').fill(sam.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web.baseUrl}/admin/inbox`);
    await expectSession(p, sam);
    await expectNoAxeViolations(page, 'the inbox after sign-in');

    // Open the oldest unassigned: the Unassigned view, ordered oldest first.
    await page.getByRole('navigation', { name: 'Inbox views' }).getByRole('link', { name: /^Unassigned/ }).click();
    await page.waitForURL(/view=unassigned/);
    await page.getByLabel('Order').selectOption('oldest');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/sort=oldest/);
    await expectOldestFirst(page, inquiry);
    await expectNoAxeViolations(page, 'the Unassigned view, oldest first');
    await page.getByRole('link', { name: inquiry.reference, exact: true }).click();
    await page.waitForURL(`${web.baseUrl}/admin/inquiries/${inquiry.reference}`);
    await expectOnInquiry(page, inquiry);
    await expectNoAxeViolations(page, 'the inquiry page');

    // Assign to me.
    await posting(page, () => page.getByRole('button', { name: 'Assign to me' }).click(), 'Assigned to you');
    await expectAssigned(inquiry, sam);
    expect(await page.getByLabel('Assigned to', { exact: true }).inputValue()).toBe(sam.id);
    await expectNoAxeViolations(page, 'the inquiry page after "Assign to me"');

    // Reply.
    await page.getByLabel('Your reply', { exact: true }).fill(replyText);
    await posting(page, () => page.getByRole('button', { name: 'Send reply' }).click(), `Reply sent to ${inquiry.email}`);
    await expectReplied(inquiry, sam, replyText);
    await expectNoAxeViolations(page, 'the inquiry page after the reply');

    // Resolve.
    await page.getByLabel('Status').selectOption('resolved');
    await posting(page, () => page.getByRole('button', { name: 'Save changes' }).click(), 'Changes saved');
    await expectResolved(inquiry, sam);
    await expect(page.locator('.summary-list').nth(1).innerText()).resolves.toMatch(/Status\s+Resolved/);
    await expectNoAxeViolations(page, 'the inquiry page after resolving');

    expect(p.errors).toEqual([]);
  });

  it('with the keyboard alone (no clicks): Tab, Shift+Tab, Enter, Space, arrow keys and typing; focus always visible', async () => {
    const kim = await createStaffWithPassword(web.t, 'officer', { name: 'Kim Lee' });
    const inquiry = await oldestUnassigned();
    const p = await browse(true);
    const { page } = p;
    // A mouse click anywhere would be a bug of this test: fail loudly if one happens.
    await page.exposeBinding('__clicked', (_s, what: string) => p.errors.push(`a click happened on ${what}`));
    await page.addInitScript(() => {
      const g: any = globalThis;
      g.addEventListener('mousedown', (e: any) => g.__clicked?.(String(e.target?.tagName)), true);
    });

    // Sign in: Tab to the fields, type, Enter.
    await page.goto(`${web.baseUrl}/admin/login`);
    await tabUntil(page, '#email');
    await expectFocusVisible(page, 'the email address field');
    await page.keyboard.type(kim.email);
    await tabUntil(page, '#password');
    await page.keyboard.type(TEST_PASSWORD);
    await tabUntil(page, isButton('Sign in'));
    await expectFocusVisible(page, 'the Sign in button');
    // One step back and forth: Shift+Tab reaches the password again.
    await page.keyboard.press('Shift+Tab');
    expect((await focused(page))?.id).toBe('password');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${web.baseUrl}/admin/inbox`);
    await expectSession(p, kim);

    // The Unassigned view, ordered oldest first with the arrow keys, applied with Enter.
    await tabUntil(page, 'a.views-nav__link[href^="/admin/inbox?view=unassigned"]');
    await expectFocusVisible(page, 'the Unassigned view link');
    await page.keyboard.press('Enter');
    await page.waitForURL(/view=unassigned/);
    await tabUntil(page, '#sort');
    await expectFocusVisible(page, 'the Order list');
    await chooseWithArrows(page, '#sort', 'oldest');
    await tabUntil(page, isButton('Apply filters'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=oldest/);
    await expectOldestFirst(page, inquiry);
    await tabUntil(page, 'table.inbox-table tbody tr:first-child th a');
    await expectFocusVisible(page, 'the first row’s reference link');
    expect((await focused(page))?.text).toBe(inquiry.reference);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${web.baseUrl}/admin/inquiries/${inquiry.reference}`);
    await expectOnInquiry(page, inquiry);

    // Assign to me: Tab to the button, Space.
    await tabUntil(page, isButton('Assign to me'));
    await expectFocusVisible(page, 'the Assign to me button');
    await posting(page, () => page.keyboard.press('Space'), 'Assigned to you');
    await expectAssigned(inquiry, kim);
    // The notice has focus (staff.js), so a screen reader user hears it and Tab goes on from there.
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.hasAttribute('data-notice'));
    await expectFocusVisible(page, 'the notice');

    // Reply: Tab to "Your reply", type two paragraphs, Tab to "Send reply", Enter.
    await tabUntil(page, '#reply-body');
    await expectFocusVisible(page, 'Your reply');
    await page.keyboard.type('Thank you for asking.');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Screening starts at 50 in England.');
    await tabUntil(page, isButton('Send reply'));
    await expectFocusVisible(page, 'the Send reply button');
    await posting(page, () => page.keyboard.press('Enter'), `Reply sent to ${inquiry.email}`);
    await expectReplied(inquiry, kim, 'Thank you for asking.\n\nScreening starts at 50 in England.');

    // Resolve: Tab to Status, the arrow keys to Resolved, Tab to "Save changes", Enter.
    await tabUntil(page, '#status');
    await expectFocusVisible(page, 'the Status list');
    await chooseWithArrows(page, '#status', 'resolved');
    await tabUntil(page, isButton('Save changes'));
    await expectFocusVisible(page, 'the Save changes button');
    await posting(page, () => page.keyboard.press('Enter'), 'Changes saved');
    await expectResolved(inquiry, kim);

    expect(p.errors).toEqual([]);
  });

  it('with JavaScript off, starting at the routing email’s link: it opens the inquiry right after sign-in', async () => {
    const lee = await createStaffWithPassword(web.t, 'officer', { name: 'Lee Harper' });
    const inquiry = await oldestUnassigned();
    const p = await browse(false);
    const { page } = p;

    // The link in the routing email the team got for this inquiry (its host is the configured public address).
    const link = /Open it in the inbox: (\S+)/.exec(inquiry.routing.text)?.[1];
    expect(link).toBeDefined();
    const path = new URL(link!).pathname;
    expect(path).toBe(`/admin/inquiries/${inquiry.id}`);
    await page.goto(`${web.baseUrl}${path}`);
    expect(page.url()).toBe(`${web.baseUrl}/admin/login?next=${encodeURIComponent(path)}`);
    await page.getByLabel('Email address').fill(lee.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web.baseUrl}${path}`);
    await expectOnInquiry(page, inquiry);
    await expectSession(p, lee);

    // It is also the one the inbox says to take next: Unassigned, oldest first.
    await page.getByRole('navigation', { name: 'Staff pages' }).getByRole('link', { name: 'Inbox', exact: true }).click();
    await page.waitForURL(`${web.baseUrl}/admin/inbox`);
    await page.getByRole('navigation', { name: 'Inbox views' }).getByRole('link', { name: /^Unassigned/ }).click();
    await page.waitForURL(/view=unassigned/);
    await page.getByLabel('Order').selectOption('oldest');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/sort=oldest/);
    await expectOldestFirst(page, inquiry);
    await page.getByRole('link', { name: inquiry.reference, exact: true }).click();
    await page.waitForURL(`${web.baseUrl}/admin/inquiries/${inquiry.reference}`);
    await expectOnInquiry(page, inquiry);

    await posting(page, () => page.getByRole('button', { name: 'Assign to me' }).click(), 'Assigned to you');
    await expectAssigned(inquiry, lee);

    const replyText = 'Thank you.\n\nOur briefing on lung health checks is attached to our website.';
    await page.getByLabel('Your reply', { exact: true }).fill(replyText);
    await posting(page, () => page.getByRole('button', { name: 'Send reply' }).click(), `Reply sent to ${inquiry.email}`);
    await expectReplied(inquiry, lee, replyText);
    await expect(page.locator('.conversation__item--reply').innerText()).resolves.toContain('Our briefing on lung health checks');

    await page.getByLabel('Status').selectOption('resolved');
    await posting(page, () => page.getByRole('button', { name: 'Save changes' }).click(), 'Changes saved');
    await expectResolved(inquiry, lee);
  });

  it('left the rest of the inbox as it was', async () => {
    // Three journeys took the three oldest unassigned; the older assigned one and the newer ones are untouched.
    const rows = await sql(`SELECT id, status, assignee_id FROM inquiries ORDER BY created_at`);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['new', 'resolved', 'resolved', 'resolved', 'new', 'new']);
    expect(rows[0].assignee_id).toBe(admin.id);
    expect(rows.slice(4).map((r: { assignee_id: string | null }) => r.assignee_id)).toEqual([null, null]);
    expect(smtp.find({ kind: 'reply' })).toHaveLength(3);
  });
});
