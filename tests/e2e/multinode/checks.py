#!/usr/bin/python3
"""Two mod_oidc_idp nodes of one deployment (one issuer, one PostgreSQL,
the same keys and session passphrase): what one node issues or ends, the
other honours. Requests go to each node's port directly, as a load
balancer would send them. Prints "ok - ..." / "not ok - ..." a check.

  checks.py NODE_A_URL NODE_B_URL ISSUER CLIENT_ID CLIENT_SECRET \\
            REDIRECT_URI POST_LOGOUT_URI USERNAME PASSWORD"""

import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import urllib.parse

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from browser import Browser, parse_forms  # noqa: E402

COOKIE = "oidp_session"
passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what + (": " + str(detail) if detail != "" else ""))
    sys.stdout.flush()
    return ok


def check_failure(ok, what, detail=""):
    return ok or check(ok, what, detail)


check_all = check


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def verify_jwt(token, jwks):
    """Verifies a JWS (RS256/ES256) against a JWKS; returns its claims or
    raises."""
    h64, p64, s64 = token.split(".")
    header = json.loads(b64d(h64))
    key = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(key) != 1:
        raise ValueError("no single key with kid %r" % header.get("kid"))
    k = key[0]
    data = (h64 + "." + p64).encode()
    sig = b64d(s64)
    if header["alg"] == "RS256" and k["kty"] == "RSA":
        pub = rsa.RSAPublicNumbers(int.from_bytes(b64d(k["e"]), "big"),
                                   int.from_bytes(b64d(k["n"]), "big")).public_key()
        pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    elif header["alg"] == "ES256" and k["kty"] == "EC":
        pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64d(k["x"]), "big"),
                                            int.from_bytes(b64d(k["y"]), "big"),
                                            ec.SECP256R1()).public_key()
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        pub.verify(der, data, ec.ECDSA(hashes.SHA256()))
    else:
        raise ValueError("unexpected alg %r for key type %r" % (header["alg"], k["kty"]))
    return json.loads(b64d(p64))


def race(send):
    """Calls send("A") and send("B") at the same moment from two threads;
    returns both responses."""
    barrier = threading.Barrier(2)
    out = {}

    def run(n):
        barrier.wait()
        out[n] = send(n)

    ts = [threading.Thread(target=run, args=(n,)) for n in ("A", "B")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [out["A"], out["B"]]


def query(url):
    u = urllib.parse.urlsplit(url)
    return dict(urllib.parse.parse_qsl(u.query or u.fragment, keep_blank_values=True))


class Deployment:
    def __init__(self, a, b, issuer, client_id, secret, redirect, post_logout, username, password):
        self.node = {"A": a.rstrip("/"), "B": b.rstrip("/")}
        self.issuer = issuer
        self.client = (client_id, secret)
        self.redirect = redirect
        self.post_logout = post_logout
        self.username = username
        self.password = password
        self.meta = {}
        self.jwks = {}

    def ep(self, node, name):
        """The discovered endpoint `name`, at the given node's own origin."""
        path = urllib.parse.urlsplit(self.meta["A"][name]).path
        return self.node[node] + path

    def token(self, node, **form):
        return requests.post(self.ep(node, "token_endpoint"), data=form, auth=self.client, timeout=30)

    def introspect(self, node, tok):
        r = requests.post(self.ep(node, "introspection_endpoint"), data={"token": tok},
                          auth=self.client, timeout=30)
        return r.json().get("active") if r.status_code == 200 else "HTTP %d" % r.status_code

    def authz_params(self, **extra):
        self.verifier = b64e(secrets.token_bytes(32))
        self.nonce = b64e(secrets.token_bytes(16))
        self.state = b64e(secrets.token_bytes(16))
        p = {"client_id": self.client[0], "redirect_uri": self.redirect, "response_type": "code",
             "scope": "openid profile email offline_access", "state": self.state, "nonce": self.nonce,
             "code_challenge": b64e(hashlib.sha256(self.verifier.encode()).digest()),
             "code_challenge_method": "S256"}
        p.update(extra)
        return p

    def authorize(self, node, cookie=None, **extra):
        """One authorization request to `node`, carrying only the given
        session cookie; returns the response (not followed)."""
        url = self.ep(node, "authorization_endpoint") + "?" + urllib.parse.urlencode(self.authz_params(**extra))
        headers = {"Cookie": "%s=%s" % (COOKIE, cookie)} if cookie else {}
        return requests.get(url, headers=headers, allow_redirects=False, timeout=30)

    def login(self, node, post_to=None, quiet=False):
        """Signs in on `node` through its login form (posted to node
        `post_to`, as a load balancer may do, if given); returns (browser,
        code). The browser's jar then holds the session cookie. quiet: only
        a failure is reported (for repeated sign-ins)."""
        check = check_failure if quiet else check_all
        b = Browser()
        url = self.ep(node, "authorization_endpoint") + "?" + urllib.parse.urlencode(self.authz_params())
        is_rp = lambda u: u.startswith(self.redirect)  # noqa: E731
        r, at = b.go(url, stop=is_rp)
        forms = [f for f in parse_forms(r.text) if f.has_input("password")] if r.status_code == 200 else []
        if not check(len(forms) == 1, "node %s shows its login form" % node, "HTTP %d" % r.status_code):
            return b, None
        what = "node %s signs in" % node
        if post_to:
            at = self.node[post_to] + urllib.parse.urlsplit(at).path
            what = "the login form of node %s, posted to node %s, signs in" % (node, post_to)
        r, at = b.submit(at, forms[0], {"username": self.username, "password": self.password},
                         button="login", stop=is_rp)
        loc = r.headers.get("Location", "")
        q = query(loc)
        check(r.status_code in (302, 303) and loc.startswith(self.redirect) and q.get("state") == self.state
              and q.get("iss") == self.issuer and "code" in q,
              what + " and redirects with a code, state and iss = the shared issuer",
              "HTTP %d %s" % (r.status_code, loc or r.text[:200]))
        return b, q.get("code")

    def cookie_of(self, b):
        for c in b.s.cookies:
            if c.name == COOKIE and c.value:
                return c.value
        return None


def main():
    d = Deployment(*sys.argv[1:10])

    # -- one deployment: same issuer, same endpoints, same keys ------------
    for n in ("A", "B"):
        r = requests.get(d.node[n] + "/.well-known/openid-configuration", timeout=30)
        d.meta[n] = r.json() if r.status_code == 200 else {}
        d.jwks[n] = requests.get(d.node[n] + "/.well-known/jwks", timeout=30).json()
    check(d.meta["A"].get("issuer") == d.issuer and d.meta["B"].get("issuer") == d.issuer,
          "both nodes announce the one issuer", (d.meta["A"].get("issuer"), d.meta["B"].get("issuer")))
    check(d.meta["A"] == d.meta["B"], "both nodes serve the same discovery document")
    check(d.jwks["A"] == d.jwks["B"] and len(d.jwks["A"].get("keys", [])) >= 1,
          "both nodes publish the same signing keys")

    # -- a code issued by A is redeemed on B -------------------------------
    browser, code = d.login("A")
    if code is None:
        return
    r = d.token("B", grant_type="authorization_code", code=code, redirect_uri=d.redirect,
                code_verifier=d.verifier)
    tok = r.json() if r.status_code == 200 else {}
    if not check(r.status_code == 200 and "access_token" in tok and "id_token" in tok and "refresh_token" in tok,
                 "a code issued by node A is redeemed on node B", "HTTP %d %s" % (r.status_code, r.text[:300])):
        return
    try:
        claims = verify_jwt(tok["id_token"], d.jwks["A"])
        check(claims.get("iss") == d.issuer and claims.get("aud") in (d.client[0], [d.client[0]])
              and claims.get("nonce") == d.nonce,
              "node B's ID token verifies with node A's JWKS (iss, aud, nonce)", claims)
    except Exception as e:
        check(False, "node B's ID token verifies with node A's JWKS", e)
        claims = {}
    id_token = tok["id_token"]
    r = d.token("A", grant_type="authorization_code", code=code, redirect_uri=d.redirect,
                code_verifier=d.verifier)
    check(r.status_code == 400 and r.json().get("error") == "invalid_grant",
          "the same code replayed on node A: invalid_grant", "HTTP %d %s" % (r.status_code, r.text[:200]))
    for n in ("A", "B"):
        r = requests.get(d.ep(n, "userinfo_endpoint"), timeout=30,
                         headers={"Authorization": "Bearer " + tok["access_token"]})
        # the code's tokens were revoked by the replay (RFC 6749 4.1.2)
        check(r.status_code == 401, "node %s: the replay revoked the code's access token (userinfo 401)" % n,
              "HTTP %d %s" % (r.status_code, r.text[:200]))

    # -- refresh tokens: rotation across nodes, replay fails on either -----
    _, code = d.login("A")
    r = d.token("B", grant_type="authorization_code", code=code, redirect_uri=d.redirect,
                code_verifier=d.verifier)
    tok = r.json() if r.status_code == 200 else {}
    rt1 = tok.get("refresh_token")
    if not check(bool(rt1), "node B issues a refresh token (offline_access)", r.text[:200]):
        return
    for n in ("A", "B"):
        r = requests.get(d.ep(n, "userinfo_endpoint"), timeout=30,
                         headers={"Authorization": "Bearer " + tok["access_token"]})
        check(r.status_code == 200 and r.json().get("sub") == claims.get("sub"),
              "node %s answers userinfo for node B's access token" % n, "HTTP %d %s" % (r.status_code, r.text[:200]))
    r = d.token("A", grant_type="refresh_token", refresh_token=rt1)
    rt2 = r.json().get("refresh_token") if r.status_code == 200 else None
    check(rt2 and rt2 != rt1, "node A refreshes node B's refresh token and rotates it",
          "HTTP %d %s" % (r.status_code, r.text[:200]))
    r = d.token("B", grant_type="refresh_token", refresh_token=rt2)
    rt3 = r.json().get("refresh_token") if r.status_code == 200 else None
    check(rt3 and rt3 not in (rt1, rt2), "node B takes the rotated token once (rotation)",
          "HTTP %d %s" % (r.status_code, r.text[:200]))
    for n in ("B", "A"):
        r = d.token(n, grant_type="refresh_token", refresh_token=rt2)
        check(r.status_code == 400 and r.json().get("error") == "invalid_grant",
              "its replay on node %s: invalid_grant" % n, "HTTP %d %s" % (r.status_code, r.text[:200]))
    r = d.token("A", grant_type="refresh_token", refresh_token=rt1)
    check(r.status_code == 400 and r.json().get("error") == "invalid_grant",
          "the first refresh token on node A: invalid_grant", "HTTP %d %s" % (r.status_code, r.text[:200]))
    r = d.token("A", grant_type="refresh_token", refresh_token=rt3)
    check(r.status_code == 400 and r.json().get("error") == "invalid_grant",
          "the replay revoked the family: the newest refresh token fails on node A",
          "HTTP %d %s" % (r.status_code, r.text[:200]))

    # -- races: the same code, then the same refresh token, sent to both
    #    nodes at once. Exactly one wins (atomic redemption in PostgreSQL),
    #    and the loser is a replay: what the grant issued, the winner's
    #    tokens included, ends revoked (RFC 6749 4.1.2 and 10.4), whichever
    #    request the database served first. Timing varies, so several races.
    races = 8
    one_winner = revoked = 0
    leaks = []
    for _ in range(races):
        _, code = d.login("A", quiet=True)
        results = race(lambda n: d.token(n, grant_type="authorization_code", code=code,
                                         redirect_uri=d.redirect, code_verifier=d.verifier))
        win = [r.json() for r in results if r.status_code == 200]
        if sorted(r.status_code for r in results) == [200, 400]:
            one_winner += 1
        if len(win) == 1:
            state = (d.introspect("B", win[0]["access_token"]), d.introspect("B", win[0]["refresh_token"]))
            if state == (False, False):
                revoked += 1
            else:
                leaks.append(state)
    check(one_winner == races, "one code sent to both nodes at once: exactly one wins (%d races)" % races,
          "%d of %d" % (one_winner, races))
    check(revoked == races, "... and the replay revokes the winner's tokens too (%d races)" % races,
          "active after %d of %d races (access, refresh): %r" % (len(leaks), races, leaks))

    one_winner = revoked = 0
    leaks = []
    for _ in range(races):
        _, code = d.login("B", quiet=True)
        r = d.token("B", grant_type="authorization_code", code=code, redirect_uri=d.redirect,
                    code_verifier=d.verifier)
        rt = r.json().get("refresh_token") if r.status_code == 200 else None
        if not check_failure(bool(rt), "node B issues a refresh token", r.text[:200]):
            continue
        results = race(lambda n: d.token(n, grant_type="refresh_token", refresh_token=rt))
        win = [r.json() for r in results if r.status_code == 200]
        if sorted(r.status_code for r in results) == [200, 400]:
            one_winner += 1
        if len(win) == 1:
            state = (d.introspect("A", win[0]["access_token"]), d.introspect("A", win[0]["refresh_token"]))
            if state == (False, False):
                revoked += 1
            else:
                leaks.append(state)
    check(one_winner == races, "one refresh token sent to both nodes at once: exactly one wins (%d races)" % races,
          "%d of %d" % (one_winner, races))
    check(revoked == races, "... and the replay revokes the family, the winner's new tokens too (%d races)" % races,
          "active after %d of %d races (access, refresh): %r" % (len(leaks), races, leaks))

    # -- revocation on one node is seen by the other ------------------------
    _, code = d.login("B", post_to="A")
    r = d.token("A", grant_type="authorization_code", code=code, redirect_uri=d.redirect,
                code_verifier=d.verifier)
    tok = r.json() if r.status_code == 200 else {}
    at, rt = tok.get("access_token"), tok.get("refresh_token")
    if not check(bool(at) and bool(rt), "a code from node B is redeemed on node A", r.text[:200]):
        return
    check(d.introspect("B", at) is True, "node B: node A's access token is active")
    r = requests.post(d.ep("A", "revocation_endpoint"), data={"token": at}, auth=d.client, timeout=30)
    check(r.status_code == 200, "node A revokes the access token", "HTTP %d" % r.status_code)
    check(d.introspect("B", at) is False, "node B: the token revoked on A is inactive (introspection)",
          d.introspect("B", at))
    r = requests.get(d.ep("B", "userinfo_endpoint"), timeout=30, headers={"Authorization": "Bearer " + at})
    check(r.status_code == 401, "node B: userinfo refuses it (401)", "HTTP %d" % r.status_code)
    check(d.introspect("A", rt) is True, "node A: the refresh token is active")
    r = requests.post(d.ep("B", "revocation_endpoint"), data={"token": rt, "token_type_hint": "refresh_token"},
                      auth=d.client, timeout=30)
    check(r.status_code == 200, "node B revokes the refresh token", "HTTP %d" % r.status_code)
    check(d.introspect("A", rt) is False, "node A: the refresh token revoked on B is inactive")
    r = d.token("A", grant_type="refresh_token", refresh_token=rt)
    check(r.status_code == 400 and r.json().get("error") == "invalid_grant",
          "node A: the revoked refresh token gives invalid_grant", "HTTP %d %s" % (r.status_code, r.text[:200]))

    # -- a client_credentials token has no row: revoked on one node (a row of
    #    its jti), inactive at once on the other --------------------------
    r = d.token("A", grant_type="client_credentials")
    cc = r.json().get("access_token") if r.status_code == 200 else None
    if check(bool(cc), "node A issues a client_credentials token", r.text[:200]):
        check(d.introspect("B", cc) is True, "node B: node A's client_credentials token is active")
        r = requests.post(d.ep("B", "revocation_endpoint"), data={"token": cc}, auth=d.client, timeout=30)
        check(r.status_code == 200, "node B revokes the client_credentials token", "HTTP %d" % r.status_code)
        check(d.introspect("A", cc) is False,
              "node A: the client_credentials token revoked on B is inactive at once", d.introspect("A", cc))

    # -- a login session ended on one node is ended on the other ------------
    for first, other in (("A", "B"), ("B", "A")):
        b, code = d.login(first)
        cookie = d.cookie_of(b)
        if not check(cookie is not None and code is not None, "node %s set its session cookie" % first):
            continue
        r = d.token(first, grant_type="authorization_code", code=code, redirect_uri=d.redirect,
                    code_verifier=d.verifier)
        hint = r.json().get("id_token") if r.status_code == 200 else None
        r = d.authorize(other, cookie, prompt="none")
        q = query(r.headers.get("Location", ""))
        check(r.status_code == 302 and "code" in q and q.get("state") == d.state,
              "node %s's session cookie signs in on node %s (prompt=none gives a code)" % (first, other),
              "HTTP %d %s" % (r.status_code, r.headers.get("Location") or r.text[:200]))
        # RP-initiated logout on the node that made the session
        r = requests.get(d.ep(first, "end_session_endpoint"), allow_redirects=False, timeout=30,
                         headers={"Cookie": "%s=%s" % (COOKIE, cookie)},
                         params={"id_token_hint": hint, "post_logout_redirect_uri": d.post_logout,
                                 "state": "bye-" + first})
        loc = r.headers.get("Location", "")
        check(r.status_code in (302, 303) and loc.startswith(d.post_logout) and query(loc).get("state") == "bye-" + first,
              "node %s logs out and returns to post_logout_redirect_uri with state" % first,
              "HTTP %d %s" % (r.status_code, loc or r.text[:200]))
        # the old cookie, presented again, no longer signs anyone in
        r = d.authorize(other, cookie, prompt="none")
        q = query(r.headers.get("Location", ""))
        check(r.status_code == 302 and q.get("error") == "login_required" and q.get("state") == d.state,
              "node %s after logout on node %s: prompt=none gives login_required" % (other, first),
              "HTTP %d %s" % (r.status_code, r.headers.get("Location") or r.text[:200]))
        r = d.authorize(other, cookie)
        check(r.status_code == 200 and any(f.has_input("password") for f in parse_forms(r.text)),
              "node %s after logout on node %s: the login form shows again" % (other, first),
              "HTTP %d %s" % (r.status_code, r.headers.get("Location") or r.text[:200]))
        r = d.authorize(first, cookie, prompt="none")
        check(r.status_code == 302 and query(r.headers.get("Location", "")).get("error") == "login_required",
              "node %s itself: login_required with the old cookie" % first,
              "HTTP %d %s" % (r.status_code, r.headers.get("Location") or r.text[:200]))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash is a failed check, with its reason
        check(False, "the checks ran to the end", "%s: %s" % (type(e).__name__, e))
    print("# multinode: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
