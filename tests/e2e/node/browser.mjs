// A real browser against mod_oidc_idp: Debian's chromium driven by
// playwright-core. A person types into the login page, answers the consent
// page and lands on a relying party (lib/rp-server.mjs, "Team Wiki") that
// redeems the code and shows the user's name; response_mode query and
// form_post, consent denied, the error pages, RP-initiated logout, a browser
// without JavaScript; on a desktop and on a phone-sized viewport, with
// screenshots. Any console error, page error or Content-Security-Policy
// violation on the IdP's or the RP's pages fails the run.
//
// Usage: node browser.mjs CONFIG.json (written by tests/e2e/clients.sh)
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startRp } from './lib/rp-server.mjs';
import { ok, equal, step, note, finish } from './lib/tap.mjs';

const require = createRequire(import.meta.url);
const PW_VERSION = require('playwright-core/package.json').version;
const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = cfg.issuer;
const user = cfg.user;
const client = cfg.clients.browser;
const shots = join(cfg.output, 'browser');
mkdirSync(shots, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const TIMEOUT = 15000;

// ---- what the browser reports: console errors, page errors, CSP violations
const problems = []; // {kind, url, text}
let expecting = null; // an array while a step provokes reports on purpose

function record(p) {
  if (expecting) expecting.push(p);
  else problems.push(p);
  console.log(`# browser ${p.kind}${expecting ? ' (provoked)' : ''} on ${p.url}: ${p.text}`);
}

// provoke(fn): runs fn and returns what the browser reported meanwhile.
async function provoke(page, fn) {
  expecting = [];
  try {
    await fn();
    await page.waitForTimeout(150); // console and violation events come asynchronously
    return expecting;
  } finally {
    expecting = null;
  }
}

async function watch(context, label) {
  // securitypolicyviolation fires in the page; an exposed binding carries it
  // out (bindings and init scripts are not subject to the page's CSP).
  await context.exposeBinding('__oidpCspViolation', (source, v) =>
    record({ kind: 'csp', url: source.page ? source.page.url() : '?', text: `${label}: ${v}` }));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__oidpCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber || 0})`);
    });
  });
  context.on('console', (m) => {
    if (m.type() === 'error' || /content security policy/i.test(m.text())) {
      const where = m.location() && m.location().url ? ` [${m.location().url}]` : '';
      record({ kind: `console.${m.type()}`, url: m.page() ? m.page().url() : '?', text: `${label}: ${m.text()}${where}` });
    }
  });
  context.on('weberror', (e) => record({ kind: 'pageerror', url: e.page() ? e.page().url() : '?', text: `${label}: ${e.error()}` }));
  // Every IdP HTML page: a CSP that forbids framing, and no caching.
  context.on('response', async (r) => {
    if (r.request().resourceType() !== 'document' || !r.url().startsWith(issuer)) return;
    if (r.status() >= 300 && r.status() < 400) return; // a redirect has no page
    const h = await r.allHeaders();
    if (!/frame-ancestors 'none'/.test(h['content-security-policy'] || '') || !/no-store/.test(h['cache-control'] || '')) {
      record({ kind: 'headers', url: r.url(), text: `${label}: CSP ${h['content-security-policy']}, Cache-Control ${h['cache-control']}` });
    }
    idpDocuments += 1;
  });
}
let idpDocuments = 0;

async function shot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  note(`screenshot ${path}`);
}

// Layout of an IdP page: no horizontal scrolling, the form controls visible,
// inside the viewport's width and tall enough to hit; text readable.
async function checkLayout(page, label, { minTarget = 40 } = {}) {
  const m = await page.evaluate(() => {
    const main = document.querySelector('main');
    const mb = main ? main.getBoundingClientRect() : null;
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
      main: mb && { left: mb.left, right: mb.right, top: mb.top, bottom: mb.bottom },
      controls: [...document.querySelectorAll('input:not([type=hidden]), button, a')].map((e) => {
        const b = e.getBoundingClientRect();
        const cs = getComputedStyle(e);
        return {
          what: `${e.tagName.toLowerCase()} ${e.name || e.id || e.textContent.trim()}`,
          tag: e.tagName.toLowerCase(),
          height: b.height,
          left: b.left,
          right: b.right,
          font: parseFloat(cs.fontSize),
          shown: cs.visibility !== 'hidden' && cs.display !== 'none' && b.width > 0 && b.height > 0,
        };
      }),
    };
  });
  ok(m.scrollWidth <= m.innerWidth, `${label}: no horizontal scrolling (scrollWidth ${m.scrollWidth} <= innerWidth ${m.innerWidth})`);
  ok(m.bodyFont >= 14, `${label}: body text at least 14px (${m.bodyFont}px)`);
  const controls = m.controls.filter((c) => c.tag !== 'a');
  for (const c of controls) {
    ok(c.shown && c.left >= 0 && c.right <= m.innerWidth && c.height >= minTarget,
      `${label}: ${c.what} shown within the width, ${Math.round(c.height)}px tall`, c);
    if (c.tag === 'input') ok(c.font >= 16, `${label}: ${c.what} font ${c.font}px (>= 16px: no zoom on focus)`);
  }
  return m;
}

async function typeLikeAPerson(page, selector, text) {
  await page.locator(selector).click();
  await page.keyboard.type(text, { delay: 5 });
}

// On the login page: type the credentials and press the button (or Enter).
async function login(page, username, password, { tap = false, enter = false } = {}) {
  await page.locator('#username').fill(''); // a prefilled login_hint or a previous attempt
  await typeLikeAPerson(page, '#username', username);
  await typeLikeAPerson(page, '#password', password);
  const button = page.locator('button[value=login]');
  await Promise.all([
    page.waitForNavigation({ timeout: TIMEOUT }),
    enter ? page.keyboard.press('Enter') : tap ? button.tap() : button.click(),
  ]);
}

async function press(page, selector, tap) {
  const l = page.locator(selector);
  await Promise.all([page.waitForNavigation({ timeout: TIMEOUT }), tap ? l.tap() : l.click()]);
}

const onIdp = (page) => page.url().startsWith(issuer);
const onRp = (page, rp, path) => page.url().startsWith(rp.base + path);

async function desktop(browser, rp) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await watch(context, 'desktop');
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);

  await step('CSP self-test', async () => {
    const got = await provoke(page, () => page.goto(`${rp.base}/csp-selftest`));
    ok(got.some((p) => p.kind === 'csp') && got.some((p) => p.kind.startsWith('console')),
      'the test sees a CSP violation (securitypolicyviolation event and console) on a page that provokes one', got);
  });

  await step('desktop: login page', async () => {
    await page.goto(`${rp.base}/`);
    await press(page, '#signin');
    ok(onIdp(page) && new URL(page.url()).pathname === '/login/oauth/authorize', 'the RP sends the browser to the IdP', page.url());
    ok(/sign in/i.test(await page.title()) && (await page.title()).includes('Team Wiki'), 'login page title names the client', await page.title());
    ok(await page.getByLabel('Username').isVisible() && await page.getByLabel('Password').isVisible(),
      'login page: labelled username and password fields');
    equal(await page.locator('#username').getAttribute('autocomplete'), 'username', 'username field autocomplete=username');
    equal(await page.locator('#password').getAttribute('autocomplete'), 'current-password', 'password field autocomplete=current-password');
    ok(await page.evaluate(() => document.activeElement && document.activeElement.id === 'username'), 'the username field has the focus');
    const m = await checkLayout(page, 'desktop login');
    ok(m.main && Math.abs((m.main.left + m.main.right) / 2 - m.innerWidth / 2) <= 2,
      'desktop login: the card is centred horizontally', m.main);
    await shot(page, 'desktop-login');
  });

  await step('desktop: failed login', async () => {
    await login(page, user.username, 'wrong password');
    const wrongPw = (await page.locator('[role=alert], .error').first().textContent() || '').trim();
    ok(onIdp(page) && wrongPw.length > 0, 'wrong password: the login page again with an error message', wrongPw);
    await shot(page, 'desktop-login-failed');
    await login(page, 'nobody-by-this-name', 'wrong password');
    const noUser = (await page.locator('[role=alert], .error').first().textContent() || '').trim();
    equal(noUser, wrongPw, 'unknown user: the same message as a wrong password (does not reveal who exists)');
  });

  await step('desktop: consent and the RP', async () => {
    await login(page, user.username, user.password, { enter: true });
    ok(onIdp(page) && (await page.locator('button[value=allow]').count()) === 1, 'after login: the consent page', page.url());
    const text = await page.locator('main').innerText();
    ok(text.includes('Team Wiki'), 'consent page names the client');
    ok(text.includes(user.username) || text.includes(user.name), 'consent page says who is signed in');
    ok(/name/i.test(text) && /email/i.test(text), 'consent page lists what the client asks for (profile, email)', text);
    await checkLayout(page, 'desktop consent');
    await shot(page, 'desktop-consent');
    await press(page, 'button[value=allow]');
    ok(onRp(page, rp, '/cb'), 'Allow: back on the RP', page.url());
    equal(await page.locator('#name').textContent(), user.name, 'the RP shows the user\'s name (query response mode)');
    const ev = rp.events.at(-1);
    ok(ev && ev.ok && ev.method === 'GET' && ev.mode === 'query', 'the RP redeemed the code, verified the ID token, called userinfo', ev);
  });

  await step('desktop: form_post and SSO', async () => {
    await page.goto(`${rp.base}/login?mode=form_post`);
    await page.waitForURL(`${rp.base}/cb**`);
    equal(await page.locator('#name').textContent(), user.name, 'form_post: SSO, no pages, the RP shows the name');
    const ev = rp.events.at(-1);
    ok(ev && ev.ok && ev.method === 'POST' && ev.mode === 'form_post', 'form_post: the code came in a POST (auto-submitted)', ev);
  });

  await step('desktop: consent denied', async () => {
    await page.goto(`${rp.base}/login?prompt=consent`);
    ok(onIdp(page) && (await page.locator('button[value=deny]').count()) === 1, 'prompt=consent: the consent page again');
    await press(page, 'button[value=deny]');
    ok(onRp(page, rp, '/cb'), 'Deny: back on the RP', page.url());
    equal(await page.locator('#error').textContent(), 'access_denied', 'Deny: the RP gets error=access_denied');
  });

  await errorPages(page, 'desktop');

  await step('desktop: RP-initiated logout', async () => {
    await page.goto(`${rp.base}/login`);
    await page.waitForURL(`${rp.base}/cb**`);
    await press(page, '#logout');
    await page.waitForURL(`${rp.base}/logged-out**`);
    ok(onRp(page, rp, '/logged-out') && new URL(page.url()).searchParams.get('state') === 'bye',
      'logout: the IdP sends the browser to the post_logout_redirect_uri with state', page.url());
    await page.goto(`${rp.base}/login`);
    ok(onIdp(page) && (await page.locator('#password').count()) === 1, 'after logout the IdP asks for the password again');
  });

  await step('desktop: IdP logout page', async () => {
    await login(page, user.username, user.password);
    await page.waitForURL(`${rp.base}/cb**`);
    await page.goto(`${issuer}/api/logout`);
    ok(onIdp(page) && (await page.locator('button[value=logout]').count()) === 1,
      'logout without an id_token_hint: the IdP asks the user to confirm');
    await checkLayout(page, 'desktop logout-confirm');
    await shot(page, 'desktop-logout-confirm');
    await press(page, 'button[value=logout]');
    ok(onIdp(page) && /signed out/i.test(await page.locator('main').innerText()), 'logout without a redirect: the IdP\'s signed-out page');
    await checkLayout(page, 'desktop logged-out');
    await shot(page, 'desktop-logged-out');
  });
  await context.close();
}

async function errorPages(page, label) {
  await step(`${label}: error pages`, async () => {
    const good = new URLSearchParams({ client_id: client.client_id, redirect_uri: client.redirect_uri, response_type: 'code', scope: 'openid', state: 's' });
    const cases = [
      ['unknown-client', { client_id: 'no-such-client' }],
      ['wrong-redirect-uri', { redirect_uri: `${client.redirect_uri}/../evil` }],
      ['logout-redirect-uri', {}], // end_session with an unregistered post_logout_redirect_uri
    ];
    for (const [name, change] of cases) {
      const q = new URLSearchParams(good);
      for (const [k, v] of Object.entries(change)) q.set(k, v);
      let url = `${issuer}/login/oauth/authorize?${q}`;
      if (name === 'logout-redirect-uri') {
        url = `${issuer}/api/logout?${new URLSearchParams({ client_id: client.client_id, post_logout_redirect_uri: 'http://evil.example/', state: 's' })}`;
      }
      let res;
      const got = await provoke(page, async () => { res = await page.goto(url); });
      // Chromium logs the 400 of the document itself; nothing else may come
      ok(got.every((p) => p.kind === 'console.error' && /status of 400/.test(p.text) && p.text.includes(`[${url}]`)),
        `${label} ${name}: the page logs nothing but its own 400 status`, got);
      equal(res.status(), 400, `${label} ${name}: status 400`);
      ok(onIdp(page), `${label} ${name}: no redirect to the client`, page.url());
      const alert = (await page.locator('[role=alert], .error').first().textContent() || '').trim();
      ok(alert.length > 0 && !alert.includes('evil') && !alert.includes('no-such-client'),
        `${label} ${name}: a human message that does not echo the input`, alert);
      await checkLayout(page, `${label} ${name} error page`);
      await shot(page, `${label}-error-${name}`);
    }
  });
}

async function phone(browser, rp) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36',
  });
  await watch(context, 'phone');
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);

  await step('phone: login page', async () => {
    // consent for this client was given on the desktop (remembered per user):
    // ask for it again so that the phone shows the consent page too
    await page.goto(`${rp.base}/login?prompt=consent`);
    ok(onIdp(page) && (await page.locator('#password').count()) === 1, 'phone: the RP sends the browser to the IdP login page');
    await checkLayout(page, 'phone login');
    await shot(page, 'phone-login');
  });
  await step('phone: consent page', async () => {
    await login(page, user.username, user.password, { tap: true });
    ok(onIdp(page) && (await page.locator('button[value=allow]').count()) === 1, 'phone: the consent page');
    await checkLayout(page, 'phone consent');
    await shot(page, 'phone-consent');
    await press(page, 'button[value=allow]', true);
    equal(await page.locator('#name').textContent(), user.name, 'phone: the RP shows the user\'s name');
  });
  await errorPages(page, 'phone');
  await step('phone: logged-out page', async () => {
    await page.goto(`${issuer}/api/logout`);
    ok((await page.locator('button[value=logout]').count()) === 1, 'phone: the sign-out confirmation');
    await checkLayout(page, 'phone logout-confirm');
    await shot(page, 'phone-logout-confirm');
    await press(page, 'button[value=logout]', true);
    ok(/signed out/i.test(await page.locator('main').innerText()), 'phone: the signed-out page');
    await checkLayout(page, 'phone logged-out');
    await shot(page, 'phone-logged-out');
  });
  await context.close();
}

// The login page and form_post work without JavaScript (form_post: a button);
// this browser prefers a dark colour scheme.
async function noScript(browser, rp) {
  const context = await browser.newContext({ javaScriptEnabled: false, colorScheme: 'dark', viewport: { width: 1024, height: 768 } });
  await watch(context, 'no-js');
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await step('no JavaScript: form_post with a button', async () => {
    await page.goto(`${rp.base}/login?mode=form_post&prompt=consent`);
    await shot(page, 'nojs-dark-login');
    await login(page, user.username, user.password);
    await press(page, 'button[value=allow]');
    ok(onIdp(page) && (await page.locator('form[action^="http://127.0.0.1"] button').count()) === 1,
      'no JavaScript: the form_post page waits with a Continue button', page.url());
    await shot(page, 'nojs-form-post');
    await press(page, 'form[action^="http://127.0.0.1"] button');
    equal(await page.locator('#name').textContent(), user.name, 'no JavaScript: Continue posts the code, the RP shows the name');
  });
  await context.close();
}

async function main() {
  const rp = await startRp({ issuer, client, port: cfg.rp_port });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, timeout: 30000 });
  try {
    note(`playwright-core ${PW_VERSION}, chromium ${browser.version()}, RP ${rp.base}, IdP ${issuer}`);
    VERSION = `${PW_VERSION}/chromium-${browser.version()}`;
    await desktop(browser, rp);
    await phone(browser, rp);
    await noScript(browser, rp);
  } finally {
    await browser.close();
    await rp.close();
  }
  ok(idpDocuments >= 15, `the browser loaded IdP pages (${idpDocuments}), each with frame-ancestors 'none' and no-store`);
  const idp = problems.filter((p) => p.url.startsWith(issuer));
  const other = problems.filter((p) => !p.url.startsWith(issuer));
  ok(idp.length === 0, `no console error, page error, CSP violation or missing header on the IdP's pages (${idp.length})`, idp);
  ok(other.length === 0, `no console error, page error or CSP violation on the RP's pages (${other.length})`, other);
}

let VERSION = PW_VERSION;
try {
  await main();
} catch (e) {
  ok(false, 'unexpected error', e && e.stack);
}
finish('browser', VERSION);
