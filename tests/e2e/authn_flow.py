#!/usr/bin/python3
"""The login form of mod_oidc_idp with its passwords checked by an Apache
authn provider (tests/e2e/authn.sh: OpenLDAP through mod_authnz_ldap).
Prints one TAP-like line a check ("ok - ..." / "not ok - ...").

  authn_flow.py signin ISSUER CA CLIENT_ID SECRET REDIRECT USER PASSWORD EXPECTED_JSON
      signs in (authorization code flow, the login form filled), redeems
      the code and checks the ID token and userinfo against EXPECTED_JSON
      (claim -> value; "amr" a list); prints "# sub=<sub>" for the caller
  authn_flow.py refused ISSUER CA CLIENT_ID REDIRECT USER PASSWORD
      the login form answers "Incorrect username or password." (200, the
      form again, nothing sent to the client); prints "# page=<digest>"
  authn_flow.py down ISSUER CA CLIENT_ID REDIRECT USER PASSWORD
      the directory cannot answer: a 503 page that says so, no redirect,
      no login form, no code"""

import base64
import hashlib
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from browser import Browser, parse_forms  # noqa: E402

passed = failed = 0


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


def login_page(b, issuer, client_id, redirect, scope="openid profile email"):
    q = urllib.parse.urlencode({"response_type": "code", "client_id": client_id,
                                "redirect_uri": redirect, "scope": scope,
                                "state": "st-" + os.urandom(6).hex(), "nonce": "n"})
    url = issuer + "/login/oauth/authorize?" + q
    r, at = b.go(url)
    forms = [f for f in parse_forms(r.text) if f.has_input("password")] if r.status_code == 200 else []
    return r, at, (forms[0] if forms else None)


def post_login(b, at, form, user, password):
    return b.submit(at, form, {"username": user, "password": password}, button="login",
                    stop=lambda u: not u.startswith(at.split("/login/")[0] + "/"))


def error_text(r):
    m = re.search(r'<p class="error"[^>]*>(.*?)</p>', r.text, re.S)
    return m.group(1) if m else ""


def jwt_claims(tok):
    part = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def signin(issuer, ca, client_id, secret, redirect, user, password, expected):
    b = Browser(ca=ca)
    r, at, form = login_page(b, issuer, client_id, redirect)
    if not check(form is not None, "signin %s: the login form" % user, "HTTP %d" % r.status_code):
        return
    r, at = post_login(b, at, form, user, password)
    loc = r.headers.get("Location", "")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    if not check(r.status_code == 302 and loc.startswith(redirect) and "code" in q,
                 "signin %s: the directory's password signs in: a code for the client" % user,
                 "HTTP %d %s %s" % (r.status_code, loc, error_text(r))):
        return
    t = b.s.post(issuer + "/api/login/oauth/access_token", timeout=30, verify=ca,
                 data={"grant_type": "authorization_code", "code": q["code"], "redirect_uri": redirect},
                 auth=(client_id, secret))
    tok = t.json() if t.status_code == 200 else {}
    if not check("id_token" in tok, "signin %s: the code is redeemed" % user, t.text[:300]):
        return
    idt = jwt_claims(tok["id_token"])
    ui = b.s.get(issuer + "/userinfo", headers={"Authorization": "Bearer " + tok["access_token"]},
                 timeout=30, verify=ca).json()
    got = dict(ui)
    got["amr"] = idt.get("amr")
    check(idt.get("sub") and ui.get("sub") == idt.get("sub"),
          "signin %s: userinfo has the ID token's sub" % user, repr((idt.get("sub"), ui.get("sub"))))
    for k, v in expected.items():
        check(got.get(k) == v, "signin %s: %s is %r" % (user, k, v), "got %r" % (got.get(k),))
    print("# sub=%s" % idt.get("sub"))


def refused(issuer, ca, client_id, redirect, user, password):
    b = Browser(ca=ca)
    r, at, form = login_page(b, issuer, client_id, redirect, scope="openid")
    if not check(form is not None, "refused %s: the login form" % user, "HTTP %d" % r.status_code):
        return
    r, at = post_login(b, at, form, user, password)
    again = [f for f in parse_forms(r.text) if f.has_input("password")]
    check(r.status_code == 200 and again and not r.headers.get("Location"),
          "refused %s: the login form again, nothing for the client" % user,
          "HTTP %d %s" % (r.status_code, r.headers.get("Location")))
    check(error_text(r) == "Incorrect username or password.",
          "refused %s: 'Incorrect username or password.'" % user, repr(error_text(r)))
    print("# page=%d:%s" % (r.status_code, hashlib.sha256(error_text(r).encode()).hexdigest()[:16]))


def down(issuer, ca, client_id, redirect, user, password):
    b = Browser(ca=ca)
    r, at, form = login_page(b, issuer, client_id, redirect, scope="openid")
    if not check(form is not None, "down %s: the login form still shows" % user, "HTTP %d" % r.status_code):
        return
    r, at = post_login(b, at, form, user, password)
    check(r.status_code == 503, "down %s: 503" % user, "HTTP %d" % r.status_code)
    check("user directory is unavailable" in r.text,
          "down %s: the page says the directory is unavailable" % user, r.text[:300])
    check("Incorrect" not in r.text, "down %s: not a wrong-password message" % user)
    check(not r.headers.get("Location") and "code=" not in r.text
          and not [f for f in parse_forms(r.text) if f.has_input("password")],
          "down %s: no redirect, no code, no sign-in" % user)


def main(argv):
    mode = argv[1]
    if mode == "signin":
        signin(*argv[2:9], json.loads(argv[9]))
    elif mode == "refused":
        refused(*argv[2:8])
    elif mode == "down":
        down(*argv[2:8])
    else:
        print("not ok - unknown mode %s" % mode)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
