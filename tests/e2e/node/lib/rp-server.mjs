// A tiny relying party ("Team Wiki") on loopback for the browser test: what a
// web application behind the IdP does, in plain Node.js http.
//
//   GET  /                       home page with a "Sign in" link
//   GET  /login?mode=query|form_post[&prompt=...]
//                                starts the code flow (PKCE S256, state, nonce)
//   GET  /cb  (response_mode=query)  or  POST /cb  (response_mode=form_post)
//                                checks state and iss, redeems the code at the token
//                                endpoint (client_secret_basic), verifies the ID token
//                                (RS256 signature against the JWKS, iss, aud, exp,
//                                nonce), calls userinfo, shows the user's name
//   GET  /logout                 RP-initiated logout at the IdP's end_session_endpoint
//   GET  /logged-out             where the IdP sends the browser back
//   GET  /csp-selftest           a page that violates its own CSP on purpose (the
//                                test proves that it sees CSP violations)
// Every outcome is appended to rp.events for the test to check.
import { createServer } from 'node:http';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

// RFC 6749 2.3.1: client id and secret form-urlencoded before Basic.
const formEncode = (s) => encodeURIComponent(s).replace(/%20/g, '+');

function page(res, status, title, body, { cookie, csp } = {}) {
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': csp ?? "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  };
  if (cookie) headers['set-cookie'] = cookie;
  res.writeHead(status, headers);
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title></head>
<body><main id="rp">${body}</main></body></html>`);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export async function startRp({ issuer, client, port }) {
  const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const jwks = (await (await fetch(meta.jwks_uri)).json()).keys;
  const base = `http://127.0.0.1:${port}`;
  const pending = new Map(); // state -> {nonce, verifier, mode}
  const sessions = new Map(); // rp_sid -> {name, email, sub, id_token}
  const events = [];

  function verifyIdToken(idToken, nonce) {
    const [h, p, s] = idToken.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url'));
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    if (header.alg !== 'RS256') throw new Error(`ID token alg ${header.alg}`);
    const jwk = jwks.find((k) => k.kid === header.kid);
    if (!jwk) throw new Error(`no JWKS key ${header.kid}`);
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) {
      throw new Error('ID token signature does not verify');
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== issuer) throw new Error(`iss ${claims.iss}`);
    if (claims.aud !== client.client_id && !(Array.isArray(claims.aud) && claims.aud.includes(client.client_id))) {
      throw new Error(`aud ${claims.aud}`);
    }
    if (!(claims.exp > now - 5)) throw new Error('expired');
    if (claims.nonce !== nonce) throw new Error('nonce mismatch');
    return claims;
  }

  async function callback(req, res, params, method) {
    const state = params.get('state');
    const t = pending.get(state);
    pending.delete(state);
    const ev = { method, mode: t && t.mode, error: params.get('error') };
    events.push(ev);
    if (!t) return page(res, 400, 'Team Wiki: sign-in failed', '<h1>Unknown state</h1>');
    if (params.get('iss') !== issuer) {
      ev.error = `iss ${params.get('iss')}`;
      return page(res, 400, 'Team Wiki: sign-in failed', '<h1>Wrong issuer</h1>');
    }
    if (ev.error) {
      return page(res, 200, 'Team Wiki: sign-in failed',
        `<h1>Sign-in failed</h1><p id="error">${esc(ev.error)}</p><p><a href="/">Home</a></p>`);
    }
    try {
      const tr = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${formEncode(client.client_id)}:${formEncode(client.client_secret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: params.get('code'),
          redirect_uri: client.redirect_uri,
          code_verifier: t.verifier,
        }),
      });
      const tok = await tr.json();
      if (tr.status !== 200) throw new Error(`token endpoint ${tr.status}: ${JSON.stringify(tok)}`);
      const claims = verifyIdToken(tok.id_token, t.nonce);
      const ur = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tok.access_token}` } });
      const ui = await ur.json();
      if (ur.status !== 200 || ui.sub !== claims.sub) throw new Error(`userinfo ${ur.status}: ${JSON.stringify(ui)}`);
      const sid = b64u(randomBytes(16));
      sessions.set(sid, { name: ui.name, email: ui.email, sub: ui.sub, id_token: tok.id_token });
      Object.assign(ev, { ok: true, name: ui.name, sub: ui.sub, sid: claims.sid });
      return page(res, 200, 'Team Wiki',
        `<h1>Team Wiki</h1><p>Signed in as <strong id="name">${esc(ui.name)}</strong> (<span id="email">${esc(ui.email)}</span>)</p>
<p><a id="logout" href="/logout">Sign out</a></p>`,
        { cookie: `rp_sid=${sid}; Path=/; HttpOnly; SameSite=Lax` });
    } catch (e) {
      ev.error = String(e && e.message);
      return page(res, 500, 'Team Wiki: sign-in failed', `<h1>Sign-in failed</h1><p id="error">${esc(ev.error)}</p>`);
    }
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, base);
      if (req.method === 'GET' && url.pathname === '/') {
        return page(res, 200, 'Team Wiki', '<h1>Team Wiki</h1><p><a id="signin" href="/login">Sign in</a></p>');
      }
      if (req.method === 'GET' && url.pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/login') {
        const mode = url.searchParams.get('mode') || 'query';
        const state = b64u(randomBytes(16));
        const nonce = b64u(randomBytes(16));
        const verifier = b64u(randomBytes(32));
        pending.set(state, { nonce, verifier, mode });
        const a = new URL(meta.authorization_endpoint);
        a.search = new URLSearchParams({
          client_id: client.client_id,
          redirect_uri: client.redirect_uri,
          response_type: 'code',
          scope: 'openid profile email',
          state,
          nonce,
          code_challenge: b64u(createHash('sha256').update(verifier).digest()),
          code_challenge_method: 'S256',
          ...(mode === 'form_post' ? { response_mode: 'form_post' } : {}),
          ...(url.searchParams.get('prompt') ? { prompt: url.searchParams.get('prompt') } : {}),
        }).toString();
        res.writeHead(302, { location: a.toString(), 'cache-control': 'no-store' });
        return res.end();
      }
      if (url.pathname === '/cb' && req.method === 'GET') {
        return await callback(req, res, url.searchParams, 'GET');
      }
      if (url.pathname === '/cb' && req.method === 'POST') {
        return await callback(req, res, new URLSearchParams(await readBody(req)), 'POST');
      }
      if (req.method === 'GET' && url.pathname === '/logout') {
        const s = sessions.get(cookies(req).rp_sid);
        const e = new URL(meta.end_session_endpoint);
        e.search = new URLSearchParams({
          ...(s ? { id_token_hint: s.id_token } : {}),
          client_id: client.client_id,
          post_logout_redirect_uri: client.post_logout_uri,
          state: 'bye',
        }).toString();
        sessions.delete(cookies(req).rp_sid);
        res.writeHead(302, { location: e.toString(), 'set-cookie': 'rp_sid=; Path=/; Max-Age=0' });
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/logged-out') {
        events.push({ loggedOut: true, state: url.searchParams.get('state') });
        return page(res, 200, 'Team Wiki: signed out',
          '<h1>Team Wiki</h1><p id="bye">You are signed out.</p><p><a id="signin" href="/login">Sign in again</a></p>');
      }
      if (req.method === 'GET' && url.pathname === '/csp-selftest') {
        return page(res, 200, 'CSP self-test', '<p style="color:red">inline style, refused by this page\'s CSP</p>');
      }
      return page(res, 404, 'Not found', '<h1>Not found</h1>');
    } catch (e) {
      if (!res.headersSent) page(res, 500, 'Error', `<p>${esc(e && e.message)}</p>`);
      else res.end();
      return undefined;
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { base, events, close: () => new Promise((r) => server.close(r)) };
}
