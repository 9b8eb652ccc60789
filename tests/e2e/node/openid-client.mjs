// openid-client (panva's certified relying-party library) against mod_oidc_idp.
// Every protocol step goes through the library's own API; only the person in
// front of the login and consent pages is played by lib/agent.mjs.
//
// Usage: node openid-client.mjs CONFIG.json (written by tests/e2e/clients.sh)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as client from 'openid-client';
import { Agent } from './lib/agent.mjs';
import { ok, equal, step, rejects, note, finish } from './lib/tap.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('openid-client/package.json').version;
const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = new URL(cfg.issuer);
const user = cfg.user;
const C = cfg.clients;

// http on loopback: the library refuses plain http unless told otherwise.
// enableNonRepudiationChecks makes it verify the ID token's JWS signature
// against the JWKS (OIDC Core 3.1.3.7 lets an RP skip that over TLS).
const execute = [client.allowInsecureRequests, client.enableNonRepudiationChecks];

function jwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
}

// The messages of an error and its causes, for matching.
function errorChain(e) {
  const parts = [];
  for (let x = e; x && parts.length < 5; x = x.cause) parts.push(`${x.code ?? ''} ${x.message ?? ''}`);
  return parts.join(' <- ');
}

// An OAuth error response: a JSON body with `error` (ResponseBodyError), or a
// 401 with a WWW-Authenticate challenge, where the library leaves the body to
// the caller (RFC 6749 5.2 invalid_client).
function isOAuthError(code) {
  return async (e) => {
    if (e instanceof client.ResponseBodyError) return e.error === code;
    if (e instanceof client.WWWAuthenticateChallengeError && e.status === 401) {
      return (await e.response.json()).error === code;
    }
    return false;
  };
}

// A 401 from a protected resource whose Bearer challenge says error=CODE.
function isBearerChallenge(code) {
  return (e) => e instanceof client.WWWAuthenticateChallengeError && e.status === 401 &&
    e.cause.some((c) => c.scheme === 'bearer' && c.parameters.error === code);
}

// One authorization: builds the URL with the library, plays the person,
// returns {callback, pages, checks}.
async function authorize(config, agent, c, params = {}) {
  const code_verifier = client.randomPKCECodeVerifier();
  const code_challenge = await client.calculatePKCECodeChallenge(code_verifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: c.redirect_uri,
    scope: 'openid profile email offline_access',
    code_challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  const r = await agent.authorize(url, {
    username: user.username,
    password: user.password,
    redirectUri: c.redirect_uri,
  });
  if (!r.callback) throw new Error(`no callback: status ${r.status}, pages ${r.pages}`);
  return { ...r, checks: { pkceCodeVerifier: code_verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true } };
}

async function main() {
  note(`openid-client ${VERSION} (oauth4webapi ${require('oauth4webapi/package.json').version}), issuer ${cfg.issuer}`);
  const agent = new Agent();

  // ---- discovery (OIDC Discovery, and RFC 8414 for an OAuth-only client)
  await step('RFC 8414 discovery', async () => {
    const conf = await client.discovery(issuer, C.basic.client_id, { client_secret: C.basic.client_secret },
      client.ClientSecretBasic(C.basic.client_secret), { execute, algorithm: 'oauth2' });
    equal(conf.serverMetadata().token_endpoint, `${cfg.issuer}/api/login/oauth/access_token`,
      'RFC 8414 discovery (/.well-known/oauth-authorization-server): token endpoint');
  });
  const config = await step('discovery', async () => {
    const conf = await client.discovery(issuer, C.basic.client_id, { client_secret: C.basic.client_secret },
      client.ClientSecretBasic(C.basic.client_secret), { execute });
    const md = conf.serverMetadata();
    equal(md.issuer, cfg.issuer, 'discovery: issuer is the one asked for');
    ok(md.supportsPKCE('S256'), 'discovery: PKCE S256 supported');
    ok(md.end_session_endpoint && md.introspection_endpoint && md.revocation_endpoint && md.jwks_uri,
      'discovery: end_session, introspection, revocation and jwks endpoints advertised', md);
    return conf;
  });
  if (!config) return;

  // ---- authorization code + PKCE, login and consent pages
  let first;
  await step('authorization code flow', async () => {
    const a = await authorize(config, agent, C.basic);
    equal(a.pages.join(','), 'login,consent', 'first authorization shows the login page, then the consent page');
    equal(a.callback.searchParams.get('iss'), cfg.issuer, 'authorization response carries iss (RFC 9207)');
    const tokens = await client.authorizationCodeGrant(config, a.callback, a.checks);
    const claims = tokens.claims();
    ok(claims, 'ID token validated by the library (signature via JWKS, iss, aud, exp, nonce)');
    equal(claims.nonce, a.checks.expectedNonce, 'ID token nonce is the one sent');
    equal(claims.iss, cfg.issuer, 'ID token iss');
    ok(claims.aud === C.basic.client_id || (Array.isArray(claims.aud) && claims.aud.includes(C.basic.client_id)),
      'ID token aud is the client', claims.aud);
    ok(typeof claims.auth_time === 'number' && typeof claims.sid === 'string', 'ID token has auth_time and sid', claims);
    equal(jwtHeader(tokens.id_token).alg, 'RS256', 'ID token signed with RS256 (the default)');
    equal(tokens.token_type.toLowerCase(), 'bearer', 'token_type Bearer');
    ok(tokens.expiresIn() > 0, 'access token has a lifetime', tokens.expires_in);
    ok(typeof tokens.refresh_token === 'string', 'refresh token issued for offline_access');
    ok(String(tokens.scope).split(' ').includes('offline_access'), 'granted scope includes offline_access', tokens.scope);
    first = { tokens, claims };
  });

  // ---- userinfo
  await step('userinfo', async () => {
    const ui = await client.fetchUserInfo(config, first.tokens.access_token, first.claims.sub);
    equal(ui.sub, first.claims.sub, 'userinfo sub equals the ID token sub (checked by the library too)');
    equal(ui.name, user.name, 'userinfo name is the full name');
    equal(ui.preferred_username, user.username, 'userinfo preferred_username is the username');
    equal(ui.email, user.email, 'userinfo email');
    equal(ui.email_verified, true, 'userinfo email_verified is a boolean true');
  });

  // ---- a second authorization: SSO session and remembered consent
  await step('SSO', async () => {
    const a = await authorize(config, agent, C.basic);
    equal(a.pages.length, 0, 'second authorization: no login page, no consent page (SSO, consent remembered)');
    const tokens = await client.authorizationCodeGrant(config, a.callback, a.checks);
    equal(tokens.claims().sub, first.claims.sub, 'SSO: same subject');
    equal(tokens.claims().sid, first.claims.sid, 'SSO: same session id (sid)');
  });

  // ---- max_age: an older login is not good enough (OIDC Core 3.1.2.1)
  await step('max_age', async () => {
    await new Promise((r) => setTimeout(r, 2100));
    const a = await authorize(config, agent, C.basic, { max_age: '1' });
    equal(a.pages.join(','), 'login', 'max_age=1 after 2 s: the login page again, no consent');
    const tokens = await client.authorizationCodeGrant(config, a.callback, { ...a.checks, maxAge: 1 });
    const c = tokens.claims();
    ok(c.auth_time > first.claims.auth_time, 'max_age: the library accepts auth_time, later than the first login',
      [c.auth_time, first.claims.auth_time]);
    const b = await authorize(config, agent, C.basic, { prompt: 'login' });
    equal(b.pages.join(','), 'login', 'prompt=login: the login page again even with a session');
    const t2 = await client.authorizationCodeGrant(config, b.callback, b.checks);
    ok(t2.claims().auth_time >= c.auth_time, 'prompt=login: a fresh auth_time');
  });

  // ---- the library refuses what it must refuse
  await step('ID token with a broken signature', async () => {
    const tampered = await client.discovery(issuer, C.basic.client_id, { client_secret: C.basic.client_secret },
      client.ClientSecretBasic(C.basic.client_secret), { execute });
    tampered[client.customFetch] = async (url, options) => {
      const res = await fetch(url, options);
      if (String(url) !== config.serverMetadata().token_endpoint) return res;
      const body = await res.json();
      if (body.id_token) {
        const [h, p, s] = body.id_token.split('.');
        const sig = Buffer.from(s, 'base64url');
        sig[sig.length >> 1] ^= 0x01;
        body.id_token = `${h}.${p}.${sig.toString('base64url')}`;
      }
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const a = await authorize(tampered, agent, C.basic);
    await rejects('the library rejects an ID token whose signature does not verify against the JWKS',
      () => client.authorizationCodeGrant(tampered, a.callback, a.checks),
      (e) => /signature verification failed/i.test(errorChain(e)));
  });
  await step('wrong nonce', async () => {
    const a = await authorize(config, agent, C.basic);
    await rejects('the library rejects an ID token whose nonce is not the expected one',
      () => client.authorizationCodeGrant(config, a.callback, { ...a.checks, expectedNonce: client.randomNonce() }),
      (e) => e.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && e.cause?.cause?.claim === 'nonce');
  });
  await step('wrong PKCE verifier', async () => {
    const a = await authorize(config, agent, C.basic);
    await rejects('a code redeemed with the wrong PKCE verifier gives invalid_grant',
      () => client.authorizationCodeGrant(config, a.callback, { ...a.checks, pkceCodeVerifier: client.randomPKCECodeVerifier() }),
      isOAuthError('invalid_grant'));
  });

  // ---- refresh with rotation, replay detection
  await step('refresh', async () => {
    const oldRt = first.tokens.refresh_token;
    const r = await client.refreshTokenGrant(config, oldRt);
    ok(typeof r.access_token === 'string' && r.access_token !== first.tokens.access_token, 'refresh: new access token');
    ok(typeof r.refresh_token === 'string' && r.refresh_token !== oldRt, 'refresh: refresh token rotated');
    if (r.id_token) equal(r.claims().sub, first.claims.sub, 'refresh: ID token for the same subject');
    const ui = await client.fetchUserInfo(config, r.access_token, first.claims.sub);
    equal(ui.sub, first.claims.sub, 'refresh: new access token works at userinfo');
    const narrow = await client.refreshTokenGrant(config, r.refresh_token, { scope: 'openid offline_access' });
    ok(!String(narrow.scope).split(' ').includes('email'), 'refresh: scope narrowed on request', narrow.scope);
    await rejects('refresh: a replayed (rotated) refresh token gives invalid_grant',
      () => client.refreshTokenGrant(config, oldRt), isOAuthError('invalid_grant'));
    await rejects('refresh: after the replay the whole family is revoked (latest refresh token refused)',
      () => client.refreshTokenGrant(config, narrow.refresh_token), isOAuthError('invalid_grant'));
  });

  // ---- introspection and revocation (fresh tokens: SSO, no pages)
  await step('introspection and revocation', async () => {
    const a = await authorize(config, agent, C.basic);
    const t = await client.authorizationCodeGrant(config, a.callback, a.checks);
    const sub = t.claims().sub;
    const at = await client.tokenIntrospection(config, t.access_token);
    equal(at.active, true, 'introspection: access token active');
    equal(at.client_id, C.basic.client_id, 'introspection: client_id');
    equal(at.sub, sub, 'introspection: sub');
    ok(typeof at.exp === 'number' && String(at.scope).includes('openid'), 'introspection: exp and scope', at);
    const rt = await client.tokenIntrospection(config, t.refresh_token);
    equal(rt.active, true, 'introspection: refresh token active');
    const junk = await client.tokenIntrospection(config, 'not-a-token');
    equal(junk.active, false, 'introspection: an unknown token is inactive');

    await client.tokenRevocation(config, t.access_token);
    equal((await client.tokenIntrospection(config, t.access_token)).active, false,
      'revocation: revoked access token is inactive');
    await rejects('revocation: userinfo refuses the revoked access token (401 invalid_token)',
      () => client.fetchUserInfo(config, t.access_token, sub),
      isBearerChallenge('invalid_token'));
    await client.tokenRevocation(config, t.refresh_token, { token_type_hint: 'refresh_token' });
    equal((await client.tokenIntrospection(config, t.refresh_token)).active, false,
      'revocation: revoked refresh token is inactive');
    await rejects('revocation: revoked refresh token gives invalid_grant',
      () => client.refreshTokenGrant(config, t.refresh_token), isOAuthError('invalid_grant'));
    await client.tokenRevocation(config, 'not-a-token');
    ok(true, 'revocation: an unknown token is accepted (RFC 7009 2.2)');
  });

  // ---- client_credentials, both registered auth methods
  await step('client_credentials (client_secret_basic)', async () => {
    const t = await client.clientCredentialsGrant(config, { scope: 'api' });
    ok(typeof t.access_token === 'string', 'client_credentials: access token');
    ok(t.refresh_token === undefined && t.id_token === undefined, 'client_credentials: no refresh token, no ID token');
    equal(jwtHeader(t.access_token).typ, 'at+jwt', 'client_credentials: access token is an RFC 9068 JWT');
    const i = await client.tokenIntrospection(config, t.access_token);
    ok(i.active === true && i.client_id === C.basic.client_id && i.scope === 'api',
      'client_credentials: introspection active, client_id, scope api', i);
  });
  await step('client_credentials, a client_id with reserved characters', async () => {
    // RFC 6749 2.3.1: id and secret form-urlencoded before Basic; the library does so
    const odd = await client.discovery(issuer, C.odd.client_id, { client_secret: C.odd.client_secret },
      client.ClientSecretBasic(C.odd.client_secret), { execute });
    const t = await client.clientCredentialsGrant(odd, { scope: 'api' });
    const i = await client.tokenIntrospection(config, t.access_token);
    equal(i.client_id, C.odd.client_id, `client_secret_basic with client_id ${JSON.stringify(C.odd.client_id)}: token issued to it`);
  });
  await step('client_credentials (client_secret_post)', async () => {
    const post = await client.discovery(issuer, C.post.client_id, { client_secret: C.post.client_secret },
      client.ClientSecretPost(C.post.client_secret), { execute });
    const t = await client.clientCredentialsGrant(post, { scope: 'api' });
    ok(typeof t.access_token === 'string', 'client_secret_post client: access token');
    // RFC 6749 2.3.1: a client with a secret may send it either way, unless pinned
    const basic = await client.discovery(issuer, C.post.client_id, { client_secret: C.post.client_secret },
      client.ClientSecretBasic(C.post.client_secret), { execute });
    const tb = await client.clientCredentialsGrant(basic, { scope: 'api' });
    ok(typeof tb.access_token === 'string', 'client_secret_post client using client_secret_basic: access token');
    const pinned = await client.discovery(issuer, C.pinned.client_id, { client_secret: C.pinned.client_secret },
      client.ClientSecretBasic(C.pinned.client_secret), { execute });
    await rejects('a client pinned to client_secret_post using client_secret_basic gives invalid_client',
      () => client.clientCredentialsGrant(pinned, { scope: 'api' }), isOAuthError('invalid_client'));
    const pinnedPost = await client.discovery(issuer, C.pinned.client_id, { client_secret: C.pinned.client_secret },
      client.ClientSecretPost(C.pinned.client_secret), { execute });
    const tp = await client.clientCredentialsGrant(pinnedPost, { scope: 'api' });
    ok(typeof tp.access_token === 'string', 'the pinned client with client_secret_post: access token');
    const wrong = await client.discovery(issuer, C.post.client_id, { client_secret: 'wrong' },
      client.ClientSecretPost('wrong'), { execute });
    await rejects('a wrong client secret gives invalid_client',
      () => client.clientCredentialsGrant(wrong, { scope: 'api' }), isOAuthError('invalid_client'));
  });

  // ---- a public client: PKCE, no secret (client.None)
  await step('public client', async () => {
    const pub = await client.discovery(issuer, C.public.client_id, undefined, client.None(), { execute });
    const a = await authorize(pub, agent, C.public);
    equal(a.pages.length, 0, 'public first-party client: SSO and no consent page');
    const t = await client.authorizationCodeGrant(pub, a.callback, a.checks);
    equal(t.claims().sub, first.claims.sub, 'public client: ID token validated, same subject');
    ok(typeof t.refresh_token === 'string', 'public client: refresh token');
    const r = await client.refreshTokenGrant(pub, t.refresh_token);
    ok(r.refresh_token && r.refresh_token !== t.refresh_token, 'public client: refresh rotated');
    const noPkce = client.buildAuthorizationUrl(pub, {
      redirect_uri: C.public.redirect_uri, scope: 'openid', state: client.randomState(),
    });
    const res = await agent.authorize(noPkce, { redirectUri: C.public.redirect_uri });
    await rejects('public client without PKCE: the authorization response is an error the library reports',
      () => client.authorizationCodeGrant(pub, res.callback, { expectedState: noPkce.searchParams.get('state') }),
      (e) => e instanceof client.AuthorizationResponseError && e.error === 'invalid_request');
  });

  // ---- RP-initiated logout, then prompt=none finds no session
  await step('logout', async () => {
    const a = await authorize(config, agent, C.basic);
    const t = await client.authorizationCodeGrant(config, a.callback, a.checks);
    const state = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: t.id_token,
      post_logout_redirect_uri: C.basic.post_logout_uri,
      state,
    });
    const r = await agent.authorize(url, { redirectUri: C.basic.post_logout_uri });
    ok(r.callback && r.callback.searchParams.get('state') === state,
      'end_session redirects to the registered post_logout_redirect_uri with state', r.callback ? String(r.callback) : r);
    const after = await authorize(config, agent, C.basic, { prompt: 'none' });
    await rejects('after logout, prompt=none gives login_required',
      () => client.authorizationCodeGrant(config, after.callback, after.checks),
      (e) => e instanceof client.AuthorizationResponseError && e.error === 'login_required');
  });
}

try {
  await main();
} catch (e) {
  ok(false, 'unexpected error', e && e.stack);
}
finish('openid-client', VERSION);
