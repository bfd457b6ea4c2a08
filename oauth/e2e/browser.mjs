// Headless Chromium driving specgate's login and consent pages, shared by
// sdk-flow.mjs (TypeScript SDK client) and browser-login.mjs ($BROWSER for
// Claude Code).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Flags that keep Debian's chromium quiet, offline and root-friendly. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Timeout of each page load and wait; generous because CI shares two cores. */
export const PAGE_TIMEOUT_MS = Number(process.env.E2E_PAGE_TIMEOUT_MS || 30_000);

/** Path of the Chromium binary; E2E_CHROMIUM overrides the Debian default. */
export const CHROMIUM_PATH = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

/** Directory for screenshots (default: artifacts/ next to this file); created on first use. */
export const ARTIFACTS_DIR = process.env.E2E_ARTIFACTS
  ? path.resolve(process.env.E2E_ARTIFACTS)
  : fileURLToPath(new URL('./artifacts', import.meta.url));

/** Launches headless Chromium; callers close it. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/** Saves a full-page screenshot under ARTIFACTS_DIR and returns its path. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: PAGE_TIMEOUT_MS });
  return file;
}

/** A short description of where the page is, for error messages. */
export async function describePage(page) {
  let text = '';
  try {
    text = (await page.locator('body').innerText({ timeout: 2_000 })).replace(/\s+/g, ' ').slice(0, 600);
  } catch {
    text = '(no body text)';
  }
  const url = page.url().replace(/([?&]code=)[^&]+/, '$1…');
  return `url=${url} text="${text}"`;
}

/**
 * Walks one authorization request through specgate's pages: opens
 * authorizationUrl, signs in if the login page appears (a signed-in browser
 * goes straight to consent), unchecks the scopes in `uncheck`, checks every
 * other offered scope and approves. It returns once the approve button has been
 * pressed; the caller waits for the redirect to its redirect URI.
 *
 * Returns {loggedIn, offeredScopes, approvedScopes}.
 */
export async function loginAndConsent(page, { authorizationUrl, username, password, uncheck = [], label, log }) {
  const step = (msg) => log?.(`  [browser ${label}] ${msg}`);
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await page.goto(authorizationUrl, { waitUntil: 'domcontentloaded' });
  const landed = new URL(page.url());
  let loggedIn = false;
  if (landed.pathname === '/login') {
    const form = page.locator('form[action="/login"]');
    await form.waitFor();
    for (const field of ['csrf_token', 'request_id']) {
      if ((await form.locator(`input[name="${field}"]`).count()) !== 1) {
        throw new Error(`login page has no hidden ${field} field: ${await describePage(page)}`);
      }
    }
    await form.locator('input[name="username"]').fill(username);
    await form.locator('input[name="password"]').fill(password);
    step(`login page ${landed.pathname}${landed.search}; screenshot ${await screenshot(page, `${label}-login`)}`);
    await Promise.all([
      page.waitForURL((u) => u.pathname !== '/login').catch(async () => {
        throw new Error(`login did not leave /login (wrong password?): ${await describePage(page)}`);
      }),
      form.locator('button[type="submit"]').click(),
    ]);
    loggedIn = true;
  } else {
    step(`no login page (browser already signed in), landed on ${landed.pathname}`);
  }
  if (new URL(page.url()).pathname !== '/consent') {
    throw new Error(`expected the consent page after login: ${await describePage(page)}`);
  }
  const form = page.locator('form[action="/consent"]');
  await form.waitFor();
  const boxes = form.locator('input[type="checkbox"][name="scope"]');
  const offeredScopes = [];
  for (let i = 0; i < (await boxes.count()); i++) offeredScopes.push(await boxes.nth(i).getAttribute('value'));
  for (const s of uncheck) {
    if (!offeredScopes.includes(s)) {
      throw new Error(`consent page offers no checkbox for ${s} (offered: ${offeredScopes.join(' ')})`);
    }
  }
  const approvedScopes = [];
  for (let i = 0; i < offeredScopes.length; i++) {
    const box = boxes.nth(i);
    if (uncheck.includes(offeredScopes[i])) {
      await box.uncheck();
    } else {
      await box.check();
      approvedScopes.push(offeredScopes[i]);
    }
  }
  step(`consent page offers [${offeredScopes.join(' ')}], approving [${approvedScopes.join(' ')}]; screenshot ${await screenshot(page, `${label}-consent`)}`);
  await form.locator('button[name="decision"][value="approve"]').click();
  return { loggedIn, offeredScopes, approvedScopes };
}
