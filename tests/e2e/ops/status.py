#!/usr/bin/python3
"""server-status counters of mod_oidc_idp against the requests this script
makes, sent concurrently so that several children of the event MPM serve
them (tests/e2e/ops.sh checks the access log's process ids). Reads
/server-status?auto before and after and compares the differences exactly.
Prints "ok - ..." / "not ok - ..." a check and, on stdout's last line,
"# tokens: TOKEN ..." (access tokens issued here, for the backup check).

  status.py BASE_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD"""

import base64
import concurrent.futures
import hashlib
import os
import secrets
import sys
import urllib.parse

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from browser import Browser, parse_forms  # noqa: E402

base, client_id, secret, redirect, username, password = sys.argv[1:7]
auth = (client_id, secret)
failed = 0


def check(ok, what, detail=""):
    global failed
    if ok:
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what + (" (%s)" % detail if detail else ""))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def status():
    r = requests.get(base + "/server-status?auto", timeout=30)
    out = {}
    for line in r.text.splitlines():
        k, _, v = line.partition(": ")
        if k.startswith("OIDCIdP"):
            out[k[7:]] = int(v)
    return out


def token(**form):
    return requests.post(base + "/token", data=form, auth=auth, timeout=30)


def login(pw):
    """One sign-in through the login form; returns the code or None."""
    verifier = b64e(secrets.token_bytes(32))
    p = {"client_id": client_id, "redirect_uri": redirect, "response_type": "code",
         "scope": "openid offline_access", "state": "s", "nonce": "n",
         "code_challenge": b64e(hashlib.sha256(verifier.encode()).digest()),
         "code_challenge_method": "S256"}
    b = Browser()
    is_rp = lambda u: u.startswith(redirect)  # noqa: E731
    r, at = b.go(base + "/login/oauth/authorize?" + urllib.parse.urlencode(p), stop=is_rp)
    forms = [f for f in parse_forms(r.text) if f.has_input("password")]
    if len(forms) != 1:
        return None, None
    r, at = b.submit(at, forms[0], {"username": username, "password": pw}, button="login", stop=is_rp)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers.get("Location", "")).query))
    return q.get("code"), verifier


before = status()
check("TokensClientCredentials" in before and "TokenRequests" in before,
      "/server-status?auto has the OIDCIdP lines", str(sorted(before))[:200])

N_CC, N_BAD, N_LOGIN, N_LOGIN_BAD, N_DISC = 24, 4, 4, 3, 30
pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
cc = list(pool.map(lambda _: token(grant_type="client_credentials"), range(N_CC)))
bad = list(pool.map(lambda _: requests.post(base + "/token", data={"grant_type": "client_credentials"},
                                            auth=(client_id, "wrong-" + secret), timeout=30),
                    range(N_BAD)))
disc = list(pool.map(lambda _: requests.get(base + "/.well-known/openid-configuration", timeout=30),
                     range(N_DISC)))
check(all(r.status_code == 200 for r in cc), "%d client_credentials tokens issued" % N_CC)
check(all(r.status_code == 401 for r in bad), "%d token requests with a wrong secret refused" % N_BAD)
check(all(r.status_code == 200 for r in disc), "%d discovery requests" % N_DISC)

codes = list(pool.map(lambda _: login(password), range(N_LOGIN)))
check(all(c for c, _ in codes), "%d sign-ins give codes" % N_LOGIN)
bad_logins = list(pool.map(lambda _: login("not-" + password), range(N_LOGIN_BAD)))
check(all(c is None for c, _ in bad_logins), "%d sign-ins with a wrong password fail" % N_LOGIN_BAD)

ac = [token(grant_type="authorization_code", code=c, redirect_uri=redirect, code_verifier=v)
      for c, v in codes]
check(all(r.status_code == 200 for r in ac), "%d codes redeemed" % len(ac))
# the first code again: a replay (its grant is revoked)
replay = token(grant_type="authorization_code", code=codes[0][0], redirect_uri=redirect,
               code_verifier=codes[0][1])
check(replay.status_code == 400, "a code redeemed twice is refused", "HTTP %d" % replay.status_code)
rts = [r.json().get("refresh_token") for r in ac[1:]]
rf = [token(grant_type="refresh_token", refresh_token=t) for t in rts]
check(all(r.status_code == 200 for r in rf), "%d refreshes" % len(rf))
rv = [requests.post(base + "/revoke", data={"token": r.json()["access_token"]}, auth=auth, timeout=30)
      for r in cc[:5]]
check(all(r.status_code == 200 for r in rv), "5 revocations")
intro = list(pool.map(lambda r: requests.post(base + "/introspect", data={"token": r.json()["access_token"]},
                                              auth=auth, timeout=30), cc[5:15]))
check(all(r.status_code == 200 and r.json().get("active") is True for r in intro),
      "10 introspections of live tokens say active")

after = status()
d = {k: after.get(k, 0) - before.get(k, 0) for k in after}
expect = {
    "SignInsOK": N_LOGIN,
    "SignInsFailed": N_LOGIN_BAD,
    "TokensClientCredentials": N_CC,
    "TokensAuthorizationCode": N_LOGIN,
    "TokensRefreshToken": len(rf),
    "Refreshes": len(rf),
    "Revocations": 5,
    "ReplaysDetected": 1,
    "ThrottlesEngaged": 0,
    "DatabaseErrors": 0,
    # N_CC + N_BAD + N_LOGIN codes + 1 replay + refreshes
    "TokenRequests": N_CC + N_BAD + N_LOGIN + 1 + len(rf),
    "DiscoveryRequests": N_DISC,
    "RevokeRequests": 5,
    "IntrospectRequests": 10,
    # each sign-in: the authorization request, the posted form
    "AuthorizeRequests": 2 * (N_LOGIN + N_LOGIN_BAD),
}
for k, v in expect.items():
    check(d.get(k) == v, "server-status OIDCIdP%s counted %d" % (k, v), "got %s" % d.get(k))
check(d.get("TokenMicrosecondsTotal", 0) > 0 and after.get("TokenMicrosecondsMax", 0) > 0,
      "token endpoint latency counted (total %s us, max %s us)"
      % (d.get("TokenMicrosecondsTotal"), after.get("TokenMicrosecondsMax")))
html = requests.get(base + "/server-status", timeout=30).text
check("mod_oidc_idp" in html and "SignInsOK" in html, "the HTML page has the mod_oidc_idp section")
print("# tokens: " + " ".join(r.json()["access_token"] for r in cc[5:15]))
sys.exit(1 if failed else 0)
