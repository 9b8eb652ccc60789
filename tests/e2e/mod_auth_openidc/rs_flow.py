#!/usr/bin/python3
"""mod_auth_openidc as an OAuth 2.0 resource server in front of
/protected/claims, with mod_oidc_idp as the authorization server. Prints one
TAP-like line a check ("ok - ..." / "not ok - ...").

  rs_flow.py ISSUER CA USERNAME PASSWORD SUB APP_ID APP_SECRET APP_REDIRECT \
             RS_INTROSPECT_URL RS_JWT_URL

A user access token comes from a real authorization code flow: the browser
goes to the IdP's authorization endpoint for the confidential client APP_ID,
fills the login form (allows consent if asked), and stops at the redirect to
APP_REDIRECT, whose code the app's back end redeems at the token endpoint
(client_secret_basic, PKCE). Nothing listens at APP_REDIRECT.
RS_INTROSPECT_URL introspects every token at the IdP (rs-introspect.conf.in),
RS_JWT_URL validates tokens as JWTs against the IdP's JWKS (rs-jwt.conf.in).
The token is then revoked at the revocation endpoint by APP_ID, and the
introspecting resource server must refuse it on the very next request."""

import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.parse

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from browser import Browser, parse_forms  # noqa: E402

passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what + (": " + detail if detail else ""))
    sys.stdout.flush()
    return ok


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64url_json(s):
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))


def page_claims(text):
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def show(r):
    return "HTTP %d, WWW-Authenticate %r: %s" % (r.status_code, r.headers.get("WWW-Authenticate"), r.text[:300])


def basic(client_id, secret):
    # RFC 6749 2.3.1: form-encoded, then Basic
    q = urllib.parse.quote_plus
    return "Basic " + base64.b64encode(("%s:%s" % (q(client_id), q(secret))).encode()).decode()


def get_page(url, token=None):
    h = {"Authorization": "Bearer " + token} if token is not None else {}
    return requests.get(url + "/protected/claims", headers=h, allow_redirects=False, timeout=30)


def user_token(issuer, ca, username, password, app_id, app_secret, redirect):
    """The authorization code flow; returns the access token or None."""
    meta = requests.get(issuer + "/.well-known/openid-configuration", verify=ca, timeout=30).json()
    verifier = b64url(secrets.token_bytes(32))
    state = b64url(secrets.token_bytes(16))
    authz = meta["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": app_id, "redirect_uri": redirect,
        "scope": "openid profile", "state": state,
        "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256"})
    b = Browser(ca=ca)
    back_to_app = lambda u: u.startswith(redirect + "?")  # noqa: E731
    r, at = b.go(authz, stop=back_to_app)
    forms = parse_forms(r.text) if r.status_code == 200 else []
    form = next((f for f in forms if f.has_input("password")), None)
    if not check(form is not None, "rs: the IdP shows its login form for the app",
                 "HTTP %d at %s" % (r.status_code, at)):
        return None
    r, at = b.submit(at, form, {"username": username, "password": password}, button="login", stop=back_to_app)
    forms = parse_forms(r.text) if r.status_code == 200 else []
    consent = next((f for f in forms if "allow" in f.button_values()), None)
    if consent is not None:
        r, at = b.submit(at, consent, button="allow", stop=back_to_app)
    back = urllib.parse.urljoin(at, r.headers.get("Location", ""))
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
    if not check(r.status_code in (302, 303) and back_to_app(back) and q.get("code") and q.get("state") == state,
                 "rs: the IdP redirects the browser back to the app with a code",
                 "HTTP %d at %s -> %s: %s" % (r.status_code, at, back, r.text[:300])):
        return None
    r = requests.post(meta["token_endpoint"], verify=ca, timeout=30,
                      headers={"Authorization": basic(app_id, app_secret)},
                      data={"grant_type": "authorization_code", "code": q["code"],
                            "redirect_uri": redirect, "code_verifier": verifier})
    tok = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    at_ = tok.get("access_token", "")
    if not check(r.status_code == 200 and at_.count(".") == 2,
                 "rs: the app redeems the code for a user access token (client_secret_basic)",
                 "HTTP %d: %s" % (r.status_code, r.text[:300])):
        return None
    hdr = b64url_json(at_.split(".")[0])
    check(hdr.get("alg") == "RS256" and hdr.get("typ") == "at+jwt",
          "rs: the access token is an RFC 9068 JWT signed RS256", repr(hdr))
    return at_, meta


def main():
    (issuer, ca, username, password, sub, app_id, app_secret, redirect,
     rsi, rsj) = sys.argv[1:11]
    issuer = issuer.rstrip("/")
    got = user_token(issuer, ca, username, password, app_id, app_secret, redirect)
    if got is None:
        return
    token, meta = got

    # (4) local JWT validation against the IdP's JWKS
    r = get_page(rsj)
    check(r.status_code == 401 and r.headers.get("WWW-Authenticate", "").startswith("Bearer"),
          "rs jwt: no token: 401 with WWW-Authenticate: Bearer", show(r))
    r = get_page(rsj, token)
    c = page_claims(r.text) if r.status_code == 200 else {}
    check(r.status_code == 200 and c.get("REMOTE_USER") == sub and c.get("OIDC_CLAIM_client_id") == app_id,
          "rs jwt: the user's access token is accepted (REMOTE_USER is the sub, client_id the app)", show(r))
    h, p, s = token.split(".")
    i = len(s) // 2          # the middle: the last character holds padding bits
    forged = "%s.%s.%s%s%s" % (h, p, s[:i], "A" if s[i] != "A" else "B", s[i + 1:])
    r = get_page(rsj, forged)
    check(r.status_code == 401 and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
          "rs jwt: the token with one signature character changed is refused (401 invalid_token)", show(r))

    # (3) introspection at the IdP
    r = get_page(rsi)
    check(r.status_code == 401 and r.headers.get("WWW-Authenticate", "").startswith("Bearer"),
          "rs introspect: no token: 401 with WWW-Authenticate: Bearer", show(r))
    r = get_page(rsi, "garbage-" + b64url(secrets.token_bytes(24)))
    check(r.status_code == 401 and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
          "rs introspect: a garbage token is refused (401 invalid_token)", show(r))
    r = get_page(rsi, token)
    c = page_claims(r.text) if r.status_code == 200 else {}
    check(r.status_code == 200 and c.get("REMOTE_USER") == username and c.get("OIDC_CLAIM_sub") == sub
          and c.get("OIDC_CLAIM_client_id") == app_id,
          "rs introspect: the user's access token is accepted (REMOTE_USER is the username, sub and client_id "
          "from the introspection answer)", show(r))
    r = get_page(rsi, token)
    check(r.status_code == 200, "rs introspect: ... and again on the next request", show(r))

    # RFC 7009 revocation by the client the token was issued to
    r = requests.post(meta["revocation_endpoint"], verify=ca, timeout=30,
                      headers={"Authorization": basic(app_id, app_secret)},
                      data={"token": token, "token_type_hint": "access_token"})
    check(r.status_code == 200, "rs: the app revokes the access token at the revocation endpoint (RFC 7009)",
          "HTTP %d: %s" % (r.status_code, r.text[:300]))
    r = get_page(rsi, token)
    check(r.status_code == 401 and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
          "rs introspect: the revoked token is refused on the very next request (401 invalid_token)", show(r))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash is a failed check, with its reason
        check(False, "rs: the flow ran to the end", "%s: %s" % (type(e).__name__, e))
    print("# rs: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
