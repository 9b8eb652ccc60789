#!/usr/bin/python3
"""Plays the browser against mod_auth_openidc protecting a page, with
mod_oidc_idp as the OpenID Provider, and prints one TAP-like line a check
("ok - ..." / "not ok - ...").

  rp_flow.py jira     RP_URL ISSUER CA USERNAME PASSWORD EXPECTED_JSON
  rp_flow.py standard RP_URL ISSUER CA USERNAME PASSWORD EXPECTED_JSON

RP_URL is the RP's origin (the page is RP_URL/protected/claims, its
redirect URI RP_URL/protected/redirect_uri). EXPECTED_JSON maps claim names
to the exact values the page must show (and "REMOTE_USER")."""

import json
import os
import sys
import urllib.parse

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


def hops(b):
    return "\n    ".join("%s %s -> %s %s" % h for h in b.hops)


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


def page_claims(text):
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


class Flow:
    def __init__(self, label, rp, issuer, ca, username, password):
        self.label = label
        self.rp = rp.rstrip("/")
        self.issuer = issuer.rstrip("/")
        self.ca = ca
        self.username = username
        self.password = password
        self.page = self.rp + "/protected/claims"
        self.callback = self.rp + "/protected/redirect_uri"

    def is_idp(self, url):
        return url.startswith(self.issuer + "/")

    def to_idp(self, b, url=None):
        """Opens the protected page (or url) and follows the redirects up to
        the IdP's authorization endpoint; returns that URL or None."""
        r, at = b.go(url or self.page, stop=self.is_idp)
        if r.status_code in (301, 302, 303, 307, 308):
            return urllib.parse.urljoin(at, r.headers["Location"])
        return None

    def login_form(self, r):
        for f in parse_forms(r.text):
            if f.has_input("password"):
                return f
        return None

    def consent_form(self, r):
        for f in parse_forms(r.text):
            if "allow" in f.button_values():
                return f
        return None

    def sign_in(self, b, authz_url, expect_login=True, expect_consent=None):
        """From the IdP's authorization URL to the protected page: the
        login form filled like a person would, the consent page allowed if
        it shows. Returns the final response (the RP's page) or None."""
        r, at = b.go(authz_url, stop=lambda u: not self.is_idp(u))
        form = self.login_form(r) if r.status_code == 200 else None
        if expect_login:
            if not check(form is not None, self.label + ": the IdP shows its login form",
                         "HTTP %d at %s\n    %s" % (r.status_code, at, hops(b))):
                return None
            check(form.method == "post" and urllib.parse.urljoin(at, form.action).startswith(self.issuer + "/"),
                  self.label + ": the login form posts to the IdP", "%s %s" % (form.method, form.action))
            fields = {n for n, _, _ in form.fields}
            check({"username", "password"} <= fields, self.label + ": the login form has username and password fields",
                  repr(sorted(fields)))
            r, at = b.submit(at, form, {"username": self.username, "password": self.password},
                             button="login", stop=lambda u: not self.is_idp(u))
        else:
            check(form is None, self.label + ": no login form: the IdP session signs the user in (SSO)",
                  "HTTP %d at %s" % (r.status_code, at))
        consent = self.consent_form(r) if r.status_code == 200 else None
        if expect_consent is not None:
            check((consent is not None) == expect_consent,
                  self.label + ": the consent page %s" % ("shows" if expect_consent else "does not show"),
                  "HTTP %d at %s" % (r.status_code, at))
        if consent is not None:
            r, at = b.submit(at, consent, button="allow", stop=lambda u: not self.is_idp(u))
        if not check(r.status_code in (302, 303) and self.is_idp(at),
                     self.label + ": the IdP redirects back to the RP",
                     "HTTP %d at %s: %s\n    %s" % (r.status_code, at, r.text[:300], hops(b))):
            return None
        back = urllib.parse.urljoin(at, r.headers["Location"])
        q = query(back)
        check(back.startswith(self.callback + "?") and "code" in q and "state" in q,
              self.label + ": ... to its redirect URI with code and state", back)
        check(q.get("iss") == self.issuer, self.label + ": ... and iss (RFC 9207)", repr(q.get("iss")))
        r, at = b.go(back)
        if not check(r.status_code == 200 and at == self.page,
                     self.label + ": the RP redeems the code and shows the protected page",
                     "HTTP %d at %s: %s\n    %s" % (r.status_code, at, r.text[:500], hops(b))):
            return None
        return r

    def check_claims(self, r, expected, label):
        got = page_claims(r.text)
        for k, v in expected.items():
            key = k if k == "REMOTE_USER" else "OIDC_CLAIM_" + k
            check(got.get(key) == v, "%s: %s is %r" % (label, key, v), "got %r" % (got.get(key),))
        # the same claims arrive as request headers (mod_headers echoes them)
        for k, v in expected.items():
            if k == "REMOTE_USER":
                continue
            h = r.headers.get("OIDC_CLAIM_" + k)
            if h is not None:     # http.client reads header bytes as latin-1
                h = h.encode("latin-1").decode("utf-8", "replace")
            check(h == v, "%s: header OIDC_CLAIM_%s is %r" % (label, k, v), "got %r" % (h,))
        return got


def jira(flow, expected):
    b = Browser(ca=flow.ca)
    authz = flow.to_idp(b)
    if not check(authz is not None and authz.startswith(flow.issuer + "/login/oauth/authorize?"),
                 "jira: the protected page redirects to Casdoor's authorize path",
                 "%r\n    %s" % (authz, hops(b))):
        return
    q = query(authz)
    check(q.get("scope") == "address phone openid profile offline_access email",
          "jira: the RP asks for the Jira guide's scopes", repr(q.get("scope")))
    check(q.get("response_type") == "code" and q.get("redirect_uri") == flow.callback
          and q.get("state") and q.get("nonce"),
          "jira: code flow with state and nonce", authz)
    r = flow.sign_in(b, authz, expect_login=True, expect_consent=False)
    if r is None:
        return
    got = flow.check_claims(r, expected, "jira")
    # the UserInfo URL is Casdoor's /api/get-account: its envelope reached
    # the RP (status, and the user under data in Casdoor's names)
    try:
        data = json.loads(got.get("OIDC_CLAIM_data", "{}"))
    except ValueError:
        data = {}
    check(got.get("OIDC_CLAIM_status") == "ok" and data.get("name") == expected["name"]
          and data.get("displayName") == expected["display_name"],
          "jira: the RP fetched /api/get-account (status ok, data.name, data.displayName)",
          repr((got.get("OIDC_CLAIM_status"), got.get("OIDC_CLAIM_data"))))
    print("# jira page:\n#   " + "\n#   ".join("%s=%s" % kv for kv in sorted(got.items())))
    r, at = b.go(flow.page)
    check(r.status_code == 200 and page_claims(r.text).get("OIDC_CLAIM_name") == expected["name"],
          "jira: the RP session serves the page again without the IdP", "HTTP %d at %s" % (r.status_code, at))

    # offline_access: the RP holds a refresh token and refreshes through
    # Casdoor's token path (client_secret_post); the IdP rotates it
    r, at = b.go(flow.callback + "?info=json")
    info = r.json() if r.status_code == 200 else {}
    check(bool(info.get("access_token")) and bool(info.get("refresh_token")),
          "jira: the RP got an access token and a refresh token (offline_access)",
          "HTTP %d: %s" % (r.status_code, r.text[:300]))
    r, at = b.go(flow.callback + "?info=json&access_token_refresh_interval=0")
    info2 = r.json() if r.status_code == 200 else {}
    check(info2.get("access_token") not in (None, info.get("access_token"))
          and info2.get("refresh_token") not in (None, info.get("refresh_token")),
          "jira: the RP refreshes: a new access token and a rotated refresh token",
          "HTTP %d: %s" % (r.status_code, r.text[:300]))


def standard(flow, expected):
    b = Browser(ca=flow.ca)
    authz = flow.to_idp(b)
    if not check(authz is not None and authz.startswith(flow.issuer + "/login/oauth/authorize?"),
                 "standard: the protected page redirects to the discovered authorization endpoint",
                 "%r\n    %s" % (authz, hops(b))):
        return
    q = query(authz)
    check(q.get("code_challenge_method") == "S256" and len(q.get("code_challenge", "")) == 43,
          "standard: the RP sends a PKCE S256 challenge", authz)
    r = flow.sign_in(b, authz, expect_login=True, expect_consent=True)
    if r is None:
        return
    got = flow.check_claims(r, expected, "standard")
    print("# standard page:\n#   " + "\n#   ".join("%s=%s" % kv for kv in sorted(got.items())))

    # SSO: a second RP session (no RP cookie) with the same IdP session
    # signs in without the form and without asking consent again.
    host = urllib.parse.urlsplit(flow.issuer).hostname
    b2 = Browser(ca=flow.ca)
    b2.copy_cookies_from(b, host)
    check(len(b2.cookies_for(host)) > 0, "standard: the browser holds an IdP session cookie")
    authz2 = flow.to_idp(b2)
    check(authz2 is not None, "standard: a fresh RP session goes to the IdP", hops(b2))
    if authz2 is not None:
        flow.label = "standard (SSO)"
        r2 = flow.sign_in(b2, authz2, expect_login=False, expect_consent=False)
        flow.label = "standard"
        if r2 is not None:
            check(page_claims(r2.text).get("OIDC_CLAIM_sub") == expected["sub"],
                  "standard: the SSO sign-in shows the same subject")

    # RP-initiated logout: mod_auth_openidc's logout URL sends the browser
    # to the IdP's end_session_endpoint with id_token_hint and
    # post_logout_redirect_uri; the IdP ends its session and returns.
    done = flow.rp + "/loggedout.html"
    r, at = b.go(flow.callback + "?logout=" + urllib.parse.quote(done, safe=""), stop=flow.is_idp)
    end = urllib.parse.urljoin(at, r.headers.get("Location", "")) if r.status_code in (302, 303) else ""
    if not check(end.startswith(flow.issuer + "/api/logout?"),
                 "logout: the RP redirects to the discovered end_session_endpoint",
                 "HTTP %d at %s: %s" % (r.status_code, at, end or r.text[:300])):
        return
    q = query(end)
    check(q.get("id_token_hint", "").count(".") == 2 and q.get("post_logout_redirect_uri") == done,
          "logout: with id_token_hint and post_logout_redirect_uri", end)
    r, at = b.go(end)
    check(r.status_code == 200 and at == done and "logged out" in r.text,
          "logout: the IdP ends its session and returns to post_logout_redirect_uri",
          "HTTP %d at %s\n    %s" % (r.status_code, at, hops(b)))
    check(not b.cookies_for(host) or all(not c.value for c in b.cookies_for(host)),
          "logout: the IdP cleared its session cookie",
          repr([(c.name, c.value[:20]) for c in b.cookies_for(host)]))

    # the RP session is gone and the IdP asks for the password again
    authz3 = flow.to_idp(b)
    check(authz3 is not None, "after logout: the protected page goes to the IdP again", hops(b))
    if authz3 is not None:
        r, at = b.go(authz3, stop=lambda u: not flow.is_idp(u))
        check(r.status_code == 200 and flow.login_form(r) is not None,
              "after logout: the IdP shows the login form again",
              "HTTP %d at %s\n    %s" % (r.status_code, at, hops(b)))
    # the session ended server-side: the old cookie (copied before the
    # logout into the second browser) no longer signs anyone in
    for c in list(b2.s.cookies):     # drop b2's RP session, keep the IdP's
        if c.domain.lstrip(".") in (urllib.parse.urlsplit(flow.rp).hostname,
                                    urllib.parse.urlsplit(flow.rp).hostname + ".local"):
            b2.s.cookies.clear(c.domain, c.path, c.name)
    authz4 = flow.to_idp(b2)
    check(authz4 is not None, "after logout: a second RP session goes to the IdP", hops(b2))
    if authz4 is not None:
        r, at = b2.go(authz4, stop=lambda u: not flow.is_idp(u))
        check(r.status_code == 200 and flow.login_form(r) is not None,
              "after logout: the old IdP session cookie no longer signs in (ended server-side)",
              "HTTP %d at %s\n    %s" % (r.status_code, at, hops(b2)))


def main():
    mode, rp, issuer, ca, username, password, expected = sys.argv[1:8]
    flow = Flow(mode, rp, issuer, ca, username, password)
    try:
        {"jira": jira, "standard": standard}[mode](flow, json.loads(expected))
    except Exception as e:  # a crash is a failed check, with its reason
        check(False, "%s: the flow ran to the end" % mode, "%s: %s" % (type(e).__name__, e))
    print("# %s: %d passed, %d failed" % (mode, passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
