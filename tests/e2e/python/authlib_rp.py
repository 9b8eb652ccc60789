#!/usr/bin/python3
"""Authlib (Debian's python3-authlib) as a relying party of mod_oidc_idp.

The code flow with PKCE through authlib's OAuth2Session, the ID token decoded
and validated with authlib.jose against the served JWKS (signature, iss, aud,
exp, iat, nonce, at_hash, azp), userinfo with the session's bearer token, and
a refresh. Two clients: RS256 ID tokens with client_secret_basic, and ES256 ID
tokens with client_secret_post. A scripted person fills the login form and
answers the consent page (html.parser, a requests session as cookie jar).

Usage: /usr/bin/python3 authlib_rp.py CONFIG.json (written by tests/e2e/clients.sh)
Prints "ok N - ..." / "not ok N - ..." lines and a final
"RESULT authlib <version> passed=P failed=F".
"""
import base64
import json
import sys
import traceback
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import authlib
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import BadSignatureError, InvalidClaimError
from authlib.oidc.core import CodeIDToken

N = 0
PASSED = 0
FAILED = 0


def ok(cond, name, detail=None):
    global N, PASSED, FAILED
    N += 1
    if cond:
        PASSED += 1
        print(f"ok {N} - {name}", flush=True)
    else:
        FAILED += 1
        print(f"not ok {N} - {name}" + (f": {detail!r}" if detail is not None else ""), flush=True)
    return bool(cond)


def equal(got, want, name):
    return ok(got == want, name, f"got {got!r}, want {want!r}")


def raises(name, fn, exc_types, predicate=lambda e: True):
    try:
        fn()
    except exc_types as e:  # noqa: PERF203
        return ok(predicate(e), name, f"{type(e).__name__}: {e}")
    except Exception as e:  # pylint: disable=broad-except
        return ok(False, name, f"unexpected {type(e).__name__}: {e}")
    return ok(False, name, "did not raise")


def step(name, fn):
    try:
        return fn()
    except Exception as e:  # pylint: disable=broad-except
        ok(False, f"{name} raised", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        return None


# ---- the person in front of the browser ---------------------------------------
class Forms(HTMLParser):
    """Collects the forms of a page: action, method, inputs, buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._cur = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._cur = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                         "inputs": [], "buttons": []}
            self.forms.append(self._cur)
        elif tag == "input" and self._cur is not None:
            self._cur["inputs"].append(a)
        elif tag == "button" and self._cur is not None:
            self._cur["buttons"].append(a)

    def handle_endtag(self, tag):
        if tag == "form":
            self._cur = None


def sign_in(browser, url, user, redirect_uri, consent="allow"):
    """Plays the browser from an authorization URL to the redirect_uri.
    Returns (callback_url, pages_seen)."""
    pages = []
    method, data = "GET", None
    for _ in range(12):
        if url.startswith(redirect_uri):
            return url, pages
        r = browser.request(method, url, data=data, allow_redirects=False, timeout=20)
        if r.is_redirect:
            url, method, data = urljoin(url, r.headers["Location"]), "GET", None
            continue
        if r.status_code != 200:
            raise RuntimeError(f"{method} {url}: status {r.status_code}: {r.text[:300]}")
        p = Forms()
        p.feed(r.text)
        form = next((f for f in p.forms if f["method"] == "post"), None)
        if form is None:
            raise RuntimeError(f"no form at {url}: {r.text[:300]}")
        fields = []
        has_password = False
        for i in form["inputs"]:
            t = i.get("type", "text").lower()
            if not i.get("name"):
                continue
            if t == "password":
                has_password = True
                fields.append((i["name"], user["password"]))
            elif i.get("autocomplete") == "username" or i["name"] == "username":
                fields.append((i["name"], user["username"]))
            elif t in ("hidden", "text"):
                fields.append((i["name"], i.get("value", "")))
        if has_password:
            if "login" in pages:
                raise RuntimeError("the login page came back: credentials refused")
            pages.append("login")
            button = next((b for b in form["buttons"] if "formnovalidate" not in b), None)
        else:
            pages.append("consent")
            button = next((b for b in form["buttons"] if b.get("value") == consent), None)
        if button is not None and button.get("name"):
            fields.append((button["name"], button.get("value", "")))
        url, method, data = urljoin(url, form["action"] or url), "POST", fields
    raise RuntimeError(f"no redirect to {redirect_uri}")


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ---- the relying party ----------------------------------------------------------
def code_flow(meta, jwks, c, alg, auth_method, user, browser, first):
    label = f"{c['client_id']} ({alg}, {auth_method})"
    sess = OAuth2Session(c["client_id"], c["client_secret"], scope="openid profile email address phone offline_access",
                         redirect_uri=c["redirect_uri"], code_challenge_method="S256",
                         token_endpoint_auth_method=auth_method)
    verifier = generate_token(48)
    nonce = generate_token(20)
    uri, state = sess.create_authorization_url(meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    q = parse_qs(urlparse(uri).query)
    ok(q.get("code_challenge_method") == ["S256"] and "code_challenge" in q,
       f"{label}: authorization URL carries an S256 code_challenge")
    callback, pages = sign_in(browser, uri, user, c["redirect_uri"])
    equal(",".join(pages), "login,consent" if first else "consent",
          f"{label}: pages shown ({'login then consent' if first else 'SSO: consent only, for a new client'})")
    cq = parse_qs(urlparse(callback).query)
    equal(cq.get("iss"), [meta["issuer"]], f"{label}: authorization response has iss")
    token = sess.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    ok(token.get("access_token") and token.get("id_token") and token.get("refresh_token"),
       f"{label}: token response with access, ID and refresh tokens", list(token))
    equal(b64json(token["id_token"].split(".")[0]).get("alg"), alg, f"{label}: ID token header alg")

    claims = JsonWebToken([alg]).decode(
        token["id_token"], jwks, claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "values": [meta["issuer"]]}},
        claims_params={"nonce": nonce, "client_id": c["client_id"], "access_token": token["access_token"]})
    claims.validate(leeway=5)
    ok(True, f"{label}: ID token signature verified against the JWKS, claims validated (iss, aud, exp, iat, nonce, at_hash)")
    equal(claims["nonce"], nonce, f"{label}: ID token nonce")
    ok("at_hash" in claims and claims.get("azp") == c["client_id"], f"{label}: at_hash present, azp is the client",
       dict(claims))

    r = sess.get(meta["userinfo_endpoint"], timeout=20)
    equal(r.status_code, 200, f"{label}: userinfo status")
    ui = r.json()
    equal(ui.get("sub"), claims["sub"], f"{label}: userinfo sub equals the ID token sub")
    equal(ui.get("name"), user["name"], f"{label}: userinfo name")
    equal(ui.get("email"), user["email"], f"{label}: userinfo email")
    ok(isinstance(ui.get("address"), dict) and isinstance(ui.get("phone_number"), str),
       f"{label}: userinfo address (object) and phone_number for the address and phone scopes", ui)
    return sess, token, claims, callback, verifier


def refresh_then_replay(meta, c, flow):
    """Refresh with rotation, then the code replayed: refused, and (RFC 6749
    10.5, issue 3) every token issued from that code is revoked."""
    sess, token, claims, callback, verifier = flow
    label = c["client_id"]
    new = sess.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    ok(new.get("access_token") and new["access_token"] != token["access_token"], f"{label}: refresh: new access token")
    ok(new.get("refresh_token") and new["refresh_token"] != token["refresh_token"],
       f"{label}: refresh: refresh token rotated")
    r = sess.get(meta["userinfo_endpoint"], timeout=20)
    ok(r.status_code == 200 and r.json().get("sub") == claims["sub"],
       f"{label}: refresh: userinfo with the refreshed access token", r.text)

    raises(f"{label}: the code redeemed a second time gives invalid_grant",
           lambda: sess.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier),
           OAuthError, lambda e: e.error == "invalid_grant")
    for what, at in (("first", token["access_token"]), ("refreshed", new["access_token"])):
        r = requests.get(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {at}"}, timeout=20)
        ok(r.status_code == 401 and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
           f"{label}: after the code replay, the {what} access token is revoked (userinfo 401 invalid_token)",
           (r.status_code, r.headers.get("WWW-Authenticate")))
    raises(f"{label}: after the code replay, the latest refresh token is revoked",
           lambda: sess.refresh_token(meta["token_endpoint"], refresh_token=new["refresh_token"]),
           OAuthError, lambda e: e.error == "invalid_grant")


def main():
    cfg = json.load(open(sys.argv[1], encoding="utf-8"))
    user = cfg["user"]
    issuer = cfg["issuer"]
    print(f"# authlib {authlib.__version__}, requests {requests.__version__}, issuer {issuer}", flush=True)

    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=20).json()
    equal(meta.get("issuer"), issuer, "discovery: issuer")
    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=20).json())
    ok(len(jwks.keys) >= 2, "JWKS imported by authlib.jose (RSA and EC keys)", len(jwks.keys))

    browser = requests.Session()
    rs = step("RS256 client", lambda: code_flow(meta, jwks, cfg["clients"]["authlib_rs"], "RS256",
                                                "client_secret_basic", user, browser, True))
    es = step("ES256 client", lambda: code_flow(meta, jwks, cfg["clients"]["authlib_es"], "ES256",
                                           "client_secret_post", user, browser, False))

    if rs:
        token = rs[1]

        def tampered():
            h, p, s = token["id_token"].split(".")
            sig = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
            sig[len(sig) // 2] ^= 1
            bad = ".".join([h, p, base64.urlsafe_b64encode(bytes(sig)).decode().rstrip("=")])
            raises("authlib.jose rejects an ID token with a broken signature",
                   lambda: JsonWebToken(["RS256"]).decode(bad, jwks), BadSignatureError)
            wrong = JsonWebToken(["RS256"]).decode(
                token["id_token"], jwks, claims_cls=CodeIDToken,
                claims_params={"nonce": "not-the-nonce", "client_id": cfg["clients"]["authlib_rs"]["client_id"]})
            raises("authlib rejects an ID token with another nonce", lambda: wrong.validate(leeway=5),
                   InvalidClaimError, lambda e: "nonce" in str(e))
        step("negative checks", tampered)

        def bad_token():
            r = requests.get(meta["userinfo_endpoint"], headers={"Authorization": "Bearer not-a-token"}, timeout=20)
            ok(r.status_code == 401 and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
               "userinfo: a bad token gives 401 with a Bearer invalid_token challenge",
               (r.status_code, r.headers.get("WWW-Authenticate")))
        step("userinfo bad token", bad_token)

    for c, flow in ((cfg["clients"]["authlib_rs"], rs), (cfg["clients"]["authlib_es"], es)):
        if flow:
            step(f"{c['client_id']} refresh and replay", lambda c=c, flow=flow: refresh_then_replay(meta, c, flow))


try:
    main()
except Exception as e:  # pylint: disable=broad-except
    ok(False, "unexpected error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
print(f"1..{N}")
print(f"RESULT authlib {authlib.__version__} passed={PASSED} failed={FAILED}", flush=True)
sys.exit(0 if FAILED == 0 and PASSED > 0 else 1)
