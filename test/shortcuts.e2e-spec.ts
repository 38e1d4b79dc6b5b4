import request from 'supertest';
import { createTestApp, TestApp } from './support/app.js';
import { createStaffWithPassword, webSignIn } from './support/web.js';

type Agent = ReturnType<typeof request.agent>;

/**
 * The keyboard shortcuts setting (SPEC §9, WCAG 2.1.4): on by default, turned off and on again in My account
 * (a post with the CSRF token, then 303 and a notice), and the layout tells public/shortcuts.js by data-shortcuts.
 */
describe('keyboard shortcuts setting in My account', () => {
  let t: TestApp;
  let sam: { id: string; email: string };
  let asSam: { agent: Agent; csrf: string };

  beforeAll(async () => {
    t = await createTestApp();
    sam = await createStaffWithPassword(t, 'officer', { name: 'Sam Okafor' });
    asSam = await webSignIn(t, sam.email);
  });
  afterAll(async () => t.close());

  const stored = async () => (await t.db.query(`SELECT keyboard_shortcuts FROM staff WHERE id = $1`, [sam.id]))[0].keyboard_shortcuts;
  const bodyAttr = (html: string) => /<body class="staff" data-shortcuts="(on|off)">/.exec(html)?.[1];

  it('is on by default: the layout says so, loads the script and offers the list', async () => {
    expect(await stored()).toBe(true);
    const inbox = await asSam.agent.get('/admin/inbox').expect(200);
    expect(bodyAttr(inbox.text)).toBe('on');
    expect(inbox.text).toContain('<script type="module" src="/assets/shortcuts.js"></script>');
    expect(inbox.text).toContain('Keyboard shortcuts (?)');
    const account = await asSam.agent.get('/admin/account').expect(200);
    expect(account.text).toMatch(/<input class="radios__input" type="radio" id="shortcuts-on" name="shortcuts" value="on" checked>/);
    expect(account.text).toContain('turn them off here');
  });

  it('turns them off: 303 to My account with a notice, stored on the staff row, data-shortcuts="off" and no list', async () => {
    const res = await asSam.agent.post('/admin/account/shortcuts').type('form').send({ _csrf: asSam.csrf, shortcuts: 'off' }).expect(303);
    expect(res.headers.location).toBe('/admin/account');
    const account = await asSam.agent.get('/admin/account').expect(200);
    expect(account.text).toContain('Keyboard shortcuts are off');
    expect(account.text).toMatch(/id="shortcuts-off" name="shortcuts" value="off" checked>/);
    expect(bodyAttr(account.text)).toBe('off');
    expect(await stored()).toBe(false);
    const inbox = await asSam.agent.get('/admin/inbox').expect(200);
    expect(bodyAttr(inbox.text)).toBe('off');
    expect(inbox.text).not.toContain('Keyboard shortcuts (?)');
  });

  it('turns them on again', async () => {
    await asSam.agent.post('/admin/account/shortcuts').type('form').send({ _csrf: asSam.csrf, shortcuts: 'on' }).expect(303);
    const account = await asSam.agent.get('/admin/account').expect(200);
    expect(account.text).toContain('Keyboard shortcuts are on');
    expect(bodyAttr(account.text)).toBe('on');
    expect(await stored()).toBe(true);
  });

  it('refuses a post without the CSRF token (403) and changes nothing', async () => {
    await asSam.agent.post('/admin/account/shortcuts').type('form').send({ shortcuts: 'off' }).expect(403);
    await asSam.agent.post('/admin/account/shortcuts').type('form').send({ _csrf: 'not-the-token', shortcuts: 'off' }).expect(403);
    expect(await stored()).toBe(true);
  });

  it('re-renders My account with an error (400) for a choice that is neither on nor off', async () => {
    const res = await asSam.agent.post('/admin/account/shortcuts').type('form').send({ _csrf: asSam.csrf, shortcuts: 'sometimes' }).expect(400);
    expect(res.text).toContain('Choose whether keyboard shortcuts are on or off');
    expect(res.text).toContain('href="#shortcuts-on"');
    expect(await stored()).toBe(true);
  });

  it('is per person: another member keeps theirs', async () => {
    const priya = await createStaffWithPassword(t, 'officer', { name: 'Priya Shah' });
    const asPriya = await webSignIn(t, priya.email);
    await asSam.agent.post('/admin/account/shortcuts').type('form').send({ _csrf: asSam.csrf, shortcuts: 'off' }).expect(303);
    expect(bodyAttr((await asPriya.agent.get('/admin/inbox').expect(200)).text)).toBe('on');
    expect(bodyAttr((await asSam.agent.get('/admin/inbox').expect(200)).text)).toBe('off');
  });

  it('signed out, the sign-in page has them off', async () => {
    const login = await request(t.http).get('/admin/login').expect(200);
    expect(bodyAttr(login.text)).toBe('off');
  });
});
