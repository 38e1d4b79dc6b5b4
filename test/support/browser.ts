/**
 * Real-browser tests (SPEC §2): Debian's Chromium driven by playwright-core, axe-core for WCAG 2.2 AA.
 * Without a browser these helpers THROW, so the browser tests fail with how to get one; they never skip.
 */
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ElementHandle, type Page } from 'playwright-core';
import { createTestApp, TestApp, TestAppOptions } from './app.js';
import { TEST_PASSWORD } from './web.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return found && executable(found) ? found : undefined;
  } catch {
    return undefined;
  }
}

function chromiumNotFound(lookedAt: string[]): Error {
  return new Error(
    `Chromium not found (looked at ${lookedAt.join(', ')}). Install it with \`apt-get install -y chromium\`, ` +
      'or set CHROME_PATH to a Chromium or Chrome binary.',
  );
}

/** The Chromium to drive: $CHROME_PATH, else /usr/bin/chromium, else `chromium` or `chromium-browser` on PATH. */
export function findChromium(): string {
  const lookedAt: string[] = [];
  const fromEnv = process.env.CHROME_PATH?.trim();
  // A CHROME_PATH that names no program is a mistake to report, not a reason to quietly use another browser.
  if (fromEnv) {
    if (executable(fromEnv)) return fromEnv;
    throw chromiumNotFound([`CHROME_PATH=${fromEnv} (not an executable file)`]);
  }
  lookedAt.push('CHROME_PATH (unset)');
  if (executable('/usr/bin/chromium')) return '/usr/bin/chromium';
  lookedAt.push('/usr/bin/chromium');
  for (const name of ['chromium', 'chromium-browser']) {
    const found = onPath(name);
    if (found) return found;
    lookedAt.push(`\`${name}\` on PATH`);
  }
  throw chromiumNotFound(lookedAt);
}

/** Launches headless Chromium; throws (never skips) when there is none. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (err) {
    throw new Error(`Chromium at ${executablePath} did not start: ${(err as Error).message}`);
  }
}

export interface WebApp {
  t: TestApp;
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  baseUrl: string;
  close(): Promise<void>;
}

/** The real app (createTestApp: fresh migrated database) listening on 127.0.0.1 on a free port. */
export async function startWebApp(options?: TestAppOptions): Promise<WebApp> {
  const t = await createTestApp(options);
  try {
    // createTestApp has already run app.init(); listen() then only binds the HTTP server.
    await t.app.listen(0, '127.0.0.1');
  } catch (err) {
    await t.close();
    throw err;
  }
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return {
    t,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => t.close(),
  };
}

/** Contexts made by newPage() with JavaScript off: axe cannot run inside them (its timers never fire). */
const scriptless = new WeakSet<BrowserContext>();

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA, 2.2 AA) on the page as it is now; fails with a readable list.
 * On a page with JavaScript off (from newPage), axe runs on a copy of its DOM, scripts removed, served at the
 * same address in a scripted page of the same browser (the stylesheets are fetched from the app as usual).
 */
export async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const results = scriptless.has(page.context()) ? await analyzeSnapshot(page) : await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  if (!results.violations.length) return;
  const lines = results.violations.map((v) => {
    const targets = v.nodes.slice(0, 3).map((n) => n.target.map(String).join(' ')).join(' | ');
    const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : '';
    return `  - ${v.id} [${v.impact ?? 'n/a'}] ${v.help}: ${targets}${more}\n    ${v.helpUrl}`;
  });
  throw new Error(`axe found ${results.violations.length} accessibility violation(s) on ${label} (${page.url()}):\n${lines.join('\n')}`);
}

async function analyzeSnapshot(page: Page) {
  const html = await page.evaluate(() => {
    const doc: any = (globalThis as any).document;
    const copy = doc.documentElement.cloneNode(true);
    copy.querySelectorAll('script').forEach((s: any) => s.remove());
    return `<!DOCTYPE html>\n${copy.outerHTML}`;
  });
  const browser = page.context().browser();
  if (!browser) throw new Error('expectNoAxeViolations: the page has no browser');
  const context = await browser.newContext({ javaScriptEnabled: true, locale: 'en-GB', viewport: page.viewportSize() ?? undefined });
  try {
    const url = page.url();
    const bare = (href: string) => href.split('#')[0];
    await context.route((u) => bare(u.href) === bare(url), (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    const copy = await context.newPage();
    await copy.goto(url);
    return await new AxeBuilder({ page: copy }).withTags(AXE_TAGS).analyze();
  } finally {
    await context.close();
  }
}

/** A full-page PNG in var/screenshots/<name>.png, and in docs/screenshots/ too when UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(ROOT, 'var', 'screenshots', `${name}.png`);
  mkdirSync(dirname(file), { recursive: true });
  const png = await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    const docs = join(ROOT, 'docs', 'screenshots', `${name}.png`);
    mkdirSync(dirname(docs), { recursive: true });
    writeFileSync(docs, png);
  }
  return file;
}

/** What the focused element is, as a keyboard user would learn it. */
export interface FocusedInfo {
  tagName: string;
  id: string;
  name: string;
  type: string;
  /** its accessible-ish text: aria-label, else its label(s), else its own text or value */
  text: string;
}

/* The tsconfig has no DOM lib (it is a Node project): page functions reach the DOM through `any`. */
const describeFocused = (): FocusedInfo | null => {
  const el: any = (globalThis as any).document.activeElement;
  if (!el || el === (globalThis as any).document.body) return null;
  const labels = el.labels ? Array.from(el.labels as ArrayLike<any>).map((l: any) => l.innerText).join(' ') : '';
  const own = el.innerText || (typeof el.value === 'string' ? el.value : '');
  return {
    tagName: String(el.tagName).toLowerCase(),
    id: el.id ?? '',
    name: el.getAttribute('name') ?? '',
    type: el.getAttribute('type') ?? '',
    text: String(el.getAttribute('aria-label') || labels || own || '').replace(/\s+/g, ' ').trim(),
  };
};

/** The text of the focused element (aria-label, label, own text or value); '' when nothing has focus. */
export async function focusedText(page: Page): Promise<string> {
  return (await page.evaluate(describeFocused))?.text ?? '';
}

/** A description of the focused element, or null when nothing (the body) has focus. */
export async function focused(page: Page): Promise<FocusedInfo | null> {
  return page.evaluate(describeFocused);
}

/**
 * Presses Tab until the focused element matches `target` — a CSS selector, or a predicate over FocusedInfo —
 * and returns it; throws after `max` presses with the path the focus took.
 */
export async function tabUntil(
  page: Page,
  target: string | ((el: FocusedInfo) => boolean | Promise<boolean>),
  max = 60,
): Promise<ElementHandle> {
  const path: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(describeFocused);
    path.push(info ? `${info.tagName}${info.id ? `#${info.id}` : ''}${info.text ? ` "${info.text.slice(0, 40)}"` : ''}` : '(body)');
    const matches = typeof target === 'string'
      ? await page.evaluate((sel) => {
          const el: any = (globalThis as any).document.activeElement;
          return !!el && el.matches(sel);
        }, target)
      : info !== null && (await target(info));
    if (matches) {
      const handle = (await page.evaluateHandle(() => (globalThis as any).document.activeElement)).asElement();
      if (!handle) throw new Error('tabUntil: the focused element vanished');
      return handle as ElementHandle;
    }
  }
  const what = typeof target === 'string' ? target : 'the predicate';
  throw new Error(`tabUntil: ${what} not focused after ${max} Tab presses. Focus went: ${path.join(' → ')}`);
}

export interface BrowserPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors and Content-Security-Policy violations, in order. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh context (own cookies) and page; collects console errors, page errors and CSP violations. */
export async function newPage(browser: Browser, { javaScriptEnabled = true }: { javaScriptEnabled?: boolean } = {}): Promise<BrowserPage> {
  const context = await browser.newContext({ javaScriptEnabled, locale: 'en-GB', viewport: { width: 1024, height: 768 } });
  const errors: string[] = [];
  await context.exposeBinding('__reportCspViolation', (_source, v: { directive: string; blocked: string; source: string }) => {
    errors.push(`CSP violation: ${v.directive} blocked ${v.blocked || '(inline)'}${v.source ? ` at ${v.source}` : ''}`);
  });
  await context.addInitScript(() => {
    const g: any = globalThis;
    g.document.addEventListener('securitypolicyviolation', (e: any) => {
      g.__reportCspViolation?.({
        directive: e.effectiveDirective || e.violatedDirective,
        blocked: e.blockedURI,
        source: e.sourceFile ? `${e.sourceFile}:${e.lineNumber}` : '',
      });
    });
  });
  if (!javaScriptEnabled) scriptless.add(context);
  const page = await context.newPage();
  // Browsers ask for /favicon.ico by themselves; the app has none, and that is not the page's fault.
  const favicon = (url: string) => new URL(url).pathname === '/favicon.ico';
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every 4xx/5xx as "Failed to load resource", pages too (the form answers 400 with its errors
    // on purpose); failed sub-resources are collected below from the network events instead.
    if (msg.text().startsWith('Failed to load resource')) return;
    const at = msg.location()?.url;
    errors.push(`console error: ${msg.text()}${at ? ` (${at})` : ''}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.request().isNavigationRequest() && !favicon(res.url())) {
      errors.push(`${res.request().resourceType()} ${res.url()} answered ${res.status()}`);
    }
  });
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText ?? 'failed';
    // A navigation cancels the requests of the page it leaves; that is not a failure.
    if (why !== 'net::ERR_ABORTED' && !favicon(req.url())) errors.push(`${req.resourceType()} ${req.url()} failed: ${why}`);
  });
  return { context, page, errors, close: () => context.close() };
}

/**
 * Signs in on the web inbox's sign-in page as a person would (fills "Email address" and "Password", presses
 * "Sign in") and waits for the inbox; `password` defaults to the test staff's.
 */
export async function signInOnPage(page: Page, baseUrl: string, email: string, password = TEST_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/admin/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/inbox/);
}
