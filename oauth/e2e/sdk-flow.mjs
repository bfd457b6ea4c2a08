// End-to-end OAuth test of specgate with the official MCP TypeScript SDK (v1)
// as the client and headless Chromium as the user's browser.
//
//   E2E_MCP_URL=http://127.0.0.1:PORT/mcp E2E_PASSWORD=... node sdk-flow.mjs
//
// Steps: DCR + authorization code flow (tasks:delete unchecked on consent),
// tools/list and tools/call with the narrowed token, a real refresh_token
// grant, then step-up: deleteTask gets 403 insufficient_scope, the SDK
// re-authorizes (tasks:delete approved) and the call succeeds.
// Exits non-zero with a message on the first failed check.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { launchBrowser, loginAndConsent, describePage, PAGE_TIMEOUT_MS } from './browser.mjs';

const MCP_URL = process.env.E2E_MCP_URL || process.argv[2];
const USERNAME = process.env.E2E_USERNAME || 'demo';
const PASSWORD = process.env.E2E_PASSWORD;
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS || 120_000);

const t0 = Date.now();
const log = (msg) => console.log(`[sdk-flow ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
let stepNo = 0;
const step = (msg) => log(`step ${++stepNo}: ${msg}`);
const ok = (msg) => log(`  ok: ${msg}`);
function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

/** Loopback redirect target: records each authorization response. */
function startCallbackServer() {
  const waiters = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const params = Object.fromEntries(u.searchParams);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Authorization complete</h1>');
    log(`  callback received: ${Object.keys(params).join(', ')}`);
    waiters.shift()?.(params);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        server,
        url: `http://127.0.0.1:${server.address().port}/callback`,
        next: () => new Promise((r) => waiters.push(r)),
      });
    });
  });
}

/** Records the SDK's HTTP traffic and notices step-up challenges. */
function recordingFetch(provider, requests) {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = init.method || 'GET';
    let grant;
    if (url.pathname === '/token' && init.body) grant = new URLSearchParams(String(init.body)).get('grant_type');
    const res = await fetch(input, init);
    const entry = { method, path: url.pathname, status: res.status, grant };
    requests.push(entry);
    log(`  http ${method} ${url.pathname}${grant ? ` grant_type=${grant}` : ''} -> ${res.status}`);
    const challenge = res.headers.get('www-authenticate') || '';
    if (res.status === 403 && url.href === MCP_URL && /error="insufficient_scope"/.test(challenge)) {
      entry.challenge = challenge;
      provider.noteInsufficientScope(challenge);
    }
    return res;
  };
}

/** In-memory OAuthClientProvider whose browser is Playwright. */
class Provider {
  constructor(redirectUrl, authorize) {
    this._redirectUrl = redirectUrl;
    this._authorize = authorize;
    this.redirects = [];
    this.callbacks = [];
    this.savedTokens = [];
    this.states = [];
    this.stepUpPending = false;
  }
  get redirectUrl() { return this._redirectUrl; }
  get clientMetadata() {
    return {
      client_name: 'specgate e2e (MCP TypeScript SDK)',
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    const s = randomBytes(16).toString('base64url');
    this.states.push(s);
    return s;
  }
  clientInformation() { return this._client; }
  saveClientInformation(info) { this._client = info; }
  tokens() {
    // SDK v1 answers a 403 insufficient_scope by refreshing when it holds a
    // refresh token, and a refresh cannot widen scope, so the retry fails with
    // "Server returned 403 after trying upscoping" (typescript-sdk#2255, fixed on
    // main by #2346). Like Claude Code's markStepUpPending, hide the refresh
    // token while a step-up is pending so auth() starts a new authorization.
    if (this.stepUpPending && this._tokens) return { ...this._tokens, refresh_token: undefined };
    return this._tokens;
  }
  saveTokens(tokens) {
    this._tokens = tokens;
    this.savedTokens.push(tokens);
    this.stepUpPending = false;
  }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() { return this._verifier; }
  invalidateCredentials(scope) { log(`  provider.invalidateCredentials(${scope})`); }
  async redirectToAuthorization(url) {
    this.redirects.push(url);
    log(`  redirectToAuthorization #${this.redirects.length}: ${url.origin}${url.pathname}?scope=${url.searchParams.get('scope')}`);
    this.callbacks.push(await this._authorize(url, this.redirects.length));
  }
  noteInsufficientScope(challenge) {
    const wanted = (/scope="([^"]*)"/.exec(challenge)?.[1] || '').split(' ').filter(Boolean);
    const granted = new Set((this._tokens?.scope || '').split(' '));
    if (wanted.some((s) => !granted.has(s))) this.stepUpPending = true;
  }
  /** Makes the stored access token unusable so the next request gets a 401. */
  spoilAccessToken() {
    this._tokens = { ...this._tokens, access_token: `${this._tokens.access_token}-revoked-by-test` };
  }
}

async function getJSON(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  check(res.ok, `GET ${url} answered ${res.status}`);
  return res.json();
}

function scopesOf(tokens) {
  return new Set((tokens?.scope || '').split(' ').filter(Boolean));
}

async function main() {
  check(MCP_URL, 'set E2E_MCP_URL (or pass the MCP URL as the first argument)');
  check(PASSWORD, 'set E2E_PASSWORD to the demo user password');
  const origin = new URL(MCP_URL).origin;

  step(`discovery documents of ${MCP_URL}`);
  const prm = await getJSON(`${origin}/.well-known/oauth-protected-resource${new URL(MCP_URL).pathname}`);
  const asMeta = await getJSON(`${prm.authorization_servers?.[0]}/.well-known/oauth-authorization-server`);
  check(asMeta.issuer === prm.authorization_servers[0], `AS issuer ${asMeta.issuer} == PRM authorization_servers[0] ${prm.authorization_servers[0]}`);
  ok(`issuer ${asMeta.issuer}, resource ${prm.resource}`);

  const cb = await startCallbackServer();
  const browser = await launchBrowser();
  const context = await browser.newContext();
  const page = await context.newPage();
  let consentPlan = ['tasks:delete'];
  const authorize = async (url, n) => {
    const uncheck = consentPlan;
    const callback = cb.next();
    const result = await loginAndConsent(page, {
      authorizationUrl: url.href, username: USERNAME, password: PASSWORD, uncheck, label: `sdk-${n}`, log,
    });
    let timer;
    const params = await Promise.race([
      callback,
      new Promise((_, rej) => {
        timer = setTimeout(async () => rej(new Error(`no redirect to ${cb.url}: ${await describePage(page)}`)), PAGE_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    check(!params.error, `authorization response carries no error (got ${params.error}: ${params.error_description})`);
    check(params.code, 'authorization response carries a code');
    return { ...params, ...result, url };
  };

  const requests = [];
  const provider = new Provider(cb.url, authorize);
  const newTransport = () => new StreamableHTTPClientTransport(new URL(MCP_URL), {
    authProvider: provider, fetch: recordingFetch(provider, requests),
  });
  let client;
  try {
    step('connect without a token: expect 401, DCR, browser login + consent (tasks:delete unchecked)');
    let transport = newTransport();
    client = new Client({ name: 'specgate-e2e-sdk', version: '1.0.0' });
    let err;
    try { await client.connect(transport); } catch (e) { err = e; }
    check(err instanceof UnauthorizedError, `first connect fails with UnauthorizedError (got ${err})`);
    check(requests.some((r) => r.path === '/register' && r.status === 201), 'dynamic client registration answered 201');
    check(provider.redirects.length === 1, 'redirectToAuthorization called once');
    const first = provider.callbacks[0];
    const authUrl = first.url;
    check(authUrl.searchParams.get('code_challenge_method') === 'S256', 'authorize request uses PKCE S256');
    check(authUrl.searchParams.get('resource') === prm.resource, `authorize request carries resource=${prm.resource} (got ${authUrl.searchParams.get('resource')})`);
    check(first.iss === asMeta.issuer, `redirect iss ${first.iss} == AS metadata issuer ${asMeta.issuer}`);
    check(first.state === provider.states[0], 'redirect state echoes the request state');
    ok(`code received (login page shown: ${first.loggedIn}), iss and state verified`);

    step('finishAuth(code): authorization_code grant');
    await transport.finishAuth(first.code);
    const t1 = provider._tokens;
    check(requests.some((r) => r.grant === 'authorization_code' && r.status === 200), 'token endpoint answered the code exchange');
    check(t1?.access_token && t1.refresh_token, 'got an access token and a refresh token');
    check(!scopesOf(t1).has('tasks:delete') && scopesOf(t1).has('tasks:read'), `token scope lacks tasks:delete, has tasks:read (got "${t1.scope}")`);
    ok(`token scope "${t1.scope}"`);
    await client.close().catch(() => {});

    step('reconnect with the token: initialize');
    transport = newTransport();
    client = new Client({ name: 'specgate-e2e-sdk', version: '1.0.0' });
    await client.connect(transport);
    ok(`server ${JSON.stringify(client.getServerVersion())}, protocol ${transport.protocolVersion ?? '(n/a)'}`);

    step('tools/list: deleteTask hidden, listTasks visible');
    let tools = (await client.listTools()).tools.map((t) => t.name);
    check(tools.includes('listTasks') && tools.includes('createTask'), `listTasks and createTask listed (got ${tools})`);
    check(!tools.includes('deleteTask'), `deleteTask not listed without tasks:delete (got ${tools})`);
    ok(tools.join(', '));

    step('tools/call listTasks');
    const listed = await client.callTool({ name: 'listTasks', arguments: {} });
    check(!listed.isError, `listTasks succeeded (got ${JSON.stringify(listed).slice(0, 400)})`);
    check(Array.isArray(listed.structuredContent?.items), 'listTasks structuredContent.items is an array');
    ok(`${listed.structuredContent.items.length} tasks`);

    step('tools/call createTask with a JSON body');
    const title = `e2e ${randomBytes(4).toString('hex')}`;
    const created = await client.callTool({ name: 'createTask', arguments: { body: { title, tags: ['e2e'] } } });
    check(!created.isError, `createTask succeeded (got ${JSON.stringify(created).slice(0, 400)})`);
    const taskId = created.structuredContent?.id;
    check(typeof taskId === 'string' && created.structuredContent.title === title, `created task echoes the title (got ${JSON.stringify(created.structuredContent)})`);
    ok(`created ${taskId}`);

    step('force a refresh: spoil the access token, expect 401 then grant_type=refresh_token');
    const before = requests.length;
    provider.spoilAccessToken();
    tools = (await client.listTools()).tools.map((t) => t.name);
    const seen = requests.slice(before);
    check(seen.some((r) => r.path === new URL(MCP_URL).pathname && r.status === 401), 'spoiled token got 401');
    check(seen.some((r) => r.grant === 'refresh_token' && r.status === 200), 'a refresh_token grant succeeded');
    const t2 = provider._tokens;
    check(t2.access_token !== t1.access_token, 'refreshed access token differs from the first one');
    check(t2.refresh_token && t2.refresh_token !== t1.refresh_token, 'refresh token was rotated');
    check(!scopesOf(t2).has('tasks:delete'), `refreshed token keeps the narrowed scope (got "${t2.scope}")`);
    check(tools.includes('listTasks') && !tools.includes('deleteTask'), `tools/list after refresh (got ${tools})`);
    ok('refreshed, rotated, tools/list works');

    step('step-up: deleteTask with the narrowed token -> 403 insufficient_scope -> re-authorize');
    consentPlan = [];
    const beforeStepUp = requests.length;
    err = undefined;
    try { await client.callTool({ name: 'deleteTask', arguments: { taskId } }); } catch (e) { err = e; }
    const challenge = requests.slice(beforeStepUp).find((r) => r.status === 403)?.challenge;
    check(challenge, `deleteTask answered 403 with WWW-Authenticate insufficient_scope (requests: ${JSON.stringify(requests.slice(beforeStepUp))})`);
    check(/scope="[^"]*tasks:delete/.test(challenge) && /resource_metadata="/.test(challenge), `challenge names tasks:delete and resource_metadata: ${challenge}`);
    check(err instanceof UnauthorizedError, `SDK asked for user authorization (got ${err})`);
    check(provider.redirects.length === 2, `redirectToAuthorization called a second time (got ${provider.redirects.length})`);
    const second = provider.callbacks[1];
    check(second.url.searchParams.get('scope')?.split(' ').includes('tasks:delete'), `step-up authorize asks for tasks:delete (scope=${second.url.searchParams.get('scope')})`);
    check(second.iss === asMeta.issuer, `second redirect iss ${second.iss} == ${asMeta.issuer}`);
    check(second.state === provider.states[1], 'second redirect state echoes the request state');
    await transport.finishAuth(second.code);
    check(scopesOf(provider._tokens).has('tasks:delete'), `new token has tasks:delete (got "${provider._tokens.scope}")`);
    ok(`step-up token scope "${provider._tokens.scope}" (login page shown: ${second.loggedIn})`);

    step('tools/call deleteTask with the stepped-up token');
    const deleted = await client.callTool({ name: 'deleteTask', arguments: { taskId } });
    check(!deleted.isError, `deleteTask succeeded (got ${JSON.stringify(deleted).slice(0, 400)})`);
    tools = (await client.listTools()).tools.map((t) => t.name);
    check(tools.includes('deleteTask'), `deleteTask listed now (got ${tools})`);
    const gone = await client.callTool({ name: 'getTask', arguments: { taskId } });
    check(gone.isError, `getTask on the deleted task fails (got ${JSON.stringify(gone).slice(0, 300)})`);
    ok(`deleted ${taskId}`);
  } finally {
    await client?.close().catch(() => {});
    await browser.close().catch(() => {});
    cb.server.close();
  }
}

const timer = setTimeout(() => {
  console.error(`[sdk-flow] FAIL: global timeout after ${TIMEOUT_MS} ms (last step ${stepNo})`);
  process.exit(2);
}, TIMEOUT_MS);
main().then(
  () => { clearTimeout(timer); log('PASS'); process.exit(0); },
  (e) => { clearTimeout(timer); console.error(`[sdk-flow] FAIL at step ${stepNo}: ${e?.stack || e}`); process.exit(1); },
);
