// A stand-in for the user's browser: opens one authorization URL in headless
// Chromium, signs in to specgate, approves every offered scope on the consent
// page and follows the redirect to the client's redirect URI (for Claude Code,
// its loopback callback listener). claude-code.sh points $BROWSER at it.
//
//   E2E_PASSWORD=... node browser-login.mjs AUTHORIZATION_URL
//
// Exits 0 once the client's callback page has loaded with a code, non-zero with
// a message otherwise (an error page, an error redirect, a timeout).
import { launchBrowser, loginAndConsent, describePage, screenshot, PAGE_TIMEOUT_MS } from './browser.mjs';

const url = process.argv[2];
const USERNAME = process.env.E2E_USERNAME || 'demo';
const PASSWORD = process.env.E2E_PASSWORD;
const LABEL = process.env.E2E_BROWSER_LABEL || 'browser';
const TIMEOUT_MS = Number(process.env.E2E_BROWSER_TIMEOUT_MS || 90_000);
const log = (msg) => console.log(`[browser-login] ${msg}`);

async function main() {
  if (!url) throw new Error('usage: node browser-login.mjs AUTHORIZATION_URL');
  if (!PASSWORD) throw new Error('set E2E_PASSWORD to the demo user password');
  const authUrl = new URL(url);
  const redirectUri = authUrl.searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error(`authorization URL has no redirect_uri: ${url}`);
  log(`authorize: client_id=${authUrl.searchParams.get('client_id')} redirect_uri=${redirectUri} scope=${authUrl.searchParams.get('scope')}`);
  const callback = new URL(redirectUri);
  const isCallback = (u) => u.origin === callback.origin && u.pathname === callback.pathname;

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const landed = page.waitForURL(isCallback, { waitUntil: 'load', timeout: 2 * PAGE_TIMEOUT_MS });
    landed.catch(() => {});
    const result = await loginAndConsent(page, {
      authorizationUrl: url, username: USERNAME, password: PASSWORD, uncheck: [], label: LABEL, log,
    });
    try {
      await landed;
    } catch {
      throw new Error(`browser did not reach ${redirectUri}: ${await describePage(page)}`);
    }
    const got = new URL(page.url());
    const params = Object.fromEntries(got.searchParams);
    if (params.error || !params.code) {
      throw new Error(`redirect carries no code: ${JSON.stringify({ ...params, code: params.code && '…' })}`);
    }
    log(`redirected to ${got.origin}${got.pathname} with ${Object.keys(params).join(', ')} (iss=${params.iss}); approved [${result.approvedScopes.join(' ')}]`);
    log(`client page: ${(await describePage(page)).slice(0, 300)}`);
    await screenshot(page, `${LABEL}-callback`).catch(() => {});
  } finally {
    await browser.close().catch(() => {});
  }
}

const timer = setTimeout(() => {
  console.error(`[browser-login] FAIL: timeout after ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS);
main().then(
  () => { clearTimeout(timer); log('PASS'); process.exit(0); },
  (e) => { clearTimeout(timer); console.error(`[browser-login] FAIL: ${e?.message || e}`); process.exit(1); },
);
