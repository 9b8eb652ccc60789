#!/usr/bin/python3
"""Dovecot's IMAP server as an OAuth 2.0 resource server of mod_oidc_idp:
it takes a user's access token (SASL XOAUTH2 and OAUTHBEARER, RFC 7628) and
asks the IdP's introspection endpoint who it belongs to (passdb oauth2,
introspection_mode = post, username_attribute = email). Prints one TAP-like
line a check ("ok - ..." / "not ok - ...").

  imap_flow.py ISSUER CA USERNAME PASSWORD EMAIL APP_ID APP_SECRET APP_REDIRECT \\
               IMAP_PORT DOVECOT_LOG MAIL_ROOT [RS_ID RS_SECRET]

The user's access tokens come from real authorization code flows of the mail
app APP_ID (a confidential client registered with the default method,
client_secret_basic): the browser fills the IdP's login form (allows consent
if asked) and stops at the redirect to APP_REDIRECT, where nothing listens;
the app redeems the code with its secret in the POST body
(client_secret_post), as Roundcube 1.6's generic OAuth2 client does. One
token has the scope `openid email`, one `openid profile` (no email: Dovecot
gets no username from introspection). IMAP goes to 127.0.0.1:IMAP_PORT
without TLS. DOVECOT_LOG is Dovecot's log_path (the login and refusal lines
are checked there), MAIL_ROOT the folder of mail_location's %u. RS_ID and
RS_SECRET (Dovecot's client) only serve to show the introspection answer
when a check fails."""

import base64
import hashlib
import imaplib
import json
import os
import secrets
import sys
import time
import urllib.parse

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from browser import Browser, parse_forms  # noqa: E402

passed = 0
failed = 0
# Dovecot's reason when active_attribute does not have active_value
INACTIVE = "Introspection failed: Provided token is not valid"


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


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def basic(client_id, secret):
    # RFC 6749 2.3.1: form-encoded, then Basic
    q = urllib.parse.quote_plus
    return "Basic " + base64.b64encode(("%s:%s" % (q(client_id), q(secret))).encode()).decode()


class Ctx:
    pass


def user_token(c, b, scope):
    """An authorization code flow of the mail app for `scope`, the code
    redeemed with client_secret_post; returns the access token or None."""
    label = "token (%s)" % scope
    verifier = b64url(secrets.token_bytes(32))
    state = b64url(secrets.token_bytes(16))
    authz = c.meta["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": c.app_id, "redirect_uri": c.redirect,
        "scope": scope, "state": state,
        "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256"})
    back_to_app = lambda u: u.startswith(c.redirect + "?")  # noqa: E731
    r, at = b.go(authz, stop=back_to_app)
    forms = parse_forms(r.text) if r.status_code == 200 else []
    form = next((f for f in forms if f.has_input("password")), None)
    if form is not None:
        r, at = b.submit(at, form, {"username": c.username, "password": c.password},
                         button="login", stop=back_to_app)
        forms = parse_forms(r.text) if r.status_code == 200 else []
    consent = next((f for f in forms if "allow" in f.button_values()), None)
    if consent is not None:
        r, at = b.submit(at, consent, button="allow", stop=back_to_app)
    back = urllib.parse.urljoin(at, r.headers.get("Location", ""))
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
    if not check(r.status_code in (302, 303) and back_to_app(back) and q.get("code") and q.get("state") == state,
                 "%s: the user signs in at the IdP, which redirects back to the mail app with a code" % label,
                 "HTTP %d at %s -> %s: %s" % (r.status_code, at, back, r.text[:300])):
        return None
    # Roundcube 1.6: the secret in the body, no Authorization header, for a
    # client registered with the default method (client_secret_basic)
    r = requests.post(c.meta["token_endpoint"], verify=c.ca, timeout=30,
                      data={"grant_type": "authorization_code", "code": q["code"],
                            "redirect_uri": c.redirect, "code_verifier": verifier,
                            "client_id": c.app_id, "client_secret": c.app_secret})
    tok = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    token = tok.get("access_token", "")
    if not check(r.status_code == 200 and token and tok.get("token_type", "").lower() == "bearer",
                 "%s: the app redeems the code with its secret in the body (client_secret_post, "
                 "registered client_secret_basic): 200 and a bearer token" % label,
                 "HTTP %d: %s" % (r.status_code, r.text[:300])):
        return None
    check(sorted(tok.get("scope", "").split()) == sorted(scope.split()),
          "%s: the token response's scope is %r" % (label, scope), repr(tok.get("scope")))
    return token


def introspection(c, token):
    """What Dovecot gets (for the detail of a failed check)."""
    if not c.rs_id:
        return ""
    try:
        r = requests.post(c.meta["introspection_endpoint"], verify=c.ca, timeout=30,
                          headers={"Authorization": basic(c.rs_id, c.rs_secret)}, data={"token": token})
        return "introspection answers HTTP %d %s" % (r.status_code, r.text[:400])
    except requests.RequestException as e:
        return "introspection: %s" % e


class Sasl:
    """imaplib's authobject: the initial response, then an empty one to
    each error challenge (XOAUTH2), or %x01 (OAUTHBEARER, RFC 7628 3.2.3)."""

    def __init__(self, first, after):
        self.first = first
        self.after = after
        self.challenges = []

    def __call__(self, challenge):
        if self.first is not None:
            out, self.first = self.first, None
            return out
        self.challenges.append(challenge)
        return self.after


def xoauth2(user, token):
    return Sasl(("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode(), b"")


def oauthbearer(user, token, port):
    return Sasl(("n,a=%s,\x01host=127.0.0.1\x01port=%d\x01auth=Bearer %s\x01\x01"
                 % (user, port, token)).encode(), b"\x01")


def log_tail(c):
    """Dovecot's log lines since the last call."""
    time.sleep(0.2)           # the log process writes asynchronously
    with open(c.log, encoding="utf-8", errors="replace") as f:
        f.seek(c.log_pos)
        text = f.read()
        c.log_pos = f.tell()
    return text


def imap_login(c, mech, auth):
    """AUTHENTICATE; returns (IMAP4 connection or None, reason)."""
    log_tail(c)
    m = imaplib.IMAP4("127.0.0.1", c.port, timeout=30)
    try:
        typ, data = m.authenticate(mech, auth)
    except imaplib.IMAP4.error as e:
        try:
            m.logout()
        except Exception:  # noqa: BLE001  (the server may have hung up)
            pass
        return None, "%s; challenges %r" % (e, auth.challenges)
    return m, "%s %r" % (typ, data)


def logged_in_ok(c, mech, auth, label):
    m, why = imap_login(c, mech, auth)
    log = log_tail(c)
    if not check(m is not None, "imap %s: the email-scoped token logs in" % label,
                 "%s\n    %s\n    dovecot: %s" % (why, introspection(c, c.token), log.strip()[-800:])):
        return None
    want = "Login: user=<%s>, method=%s" % (c.email, mech)
    check(want in log, "imap %s: Dovecot logs the login as %s (the introspection answer's email)" % (label, c.email),
          "no %r in:\n%s" % (want, log))
    return m


def refused(c, mech, auth, label, log_says=None):
    m, why = imap_login(c, mech, auth)
    log = log_tail(c)
    if m is not None:
        m.logout()
    check(m is None, "imap %s: refused" % label, "logged in (%s)" % why)
    if log_says is not None:
        check(log_says in log, "imap %s: Dovecot's log says %r" % (label, log_says), log.strip()[-800:])
    return log


def main():
    c = Ctx()
    (issuer, c.ca, c.username, c.password, c.email, c.app_id, c.app_secret, c.redirect,
     port, c.log, c.mail_root) = sys.argv[1:12]
    c.rs_id, c.rs_secret = (sys.argv[12:14] + ["", ""])[:2]
    c.port = int(port)
    c.log_pos = 0
    c.meta = requests.get(issuer.rstrip("/") + "/.well-known/openid-configuration", verify=c.ca, timeout=30).json()

    b = Browser(ca=c.ca)
    c.token = user_token(c, b, "openid email")
    if c.token is None:
        return
    no_email = user_token(c, b, "openid profile")

    # XOAUTH2 (Gmail's mechanism, what Roundcube and Thunderbird send)
    m = logged_in_ok(c, "XOAUTH2", xoauth2(c.email, c.token), "XOAUTH2")
    if m is not None:
        typ, data = m.select("INBOX")
        check(typ == "OK", "imap XOAUTH2: SELECT INBOX", "%s %r" % (typ, data))
        check(os.path.isdir(os.path.join(c.mail_root, c.email)),
              "imap XOAUTH2: the mailbox is the maildir of %s (mail_location's %%u)" % c.email,
              repr(os.listdir(c.mail_root)))
        m.logout()
    # OAUTHBEARER (RFC 7628)
    m = logged_in_ok(c, "OAUTHBEARER", oauthbearer(c.email, c.token, c.port), "OAUTHBEARER")
    if m is not None:
        typ, data = m.select("INBOX")
        check(typ == "OK", "imap OAUTHBEARER: SELECT INBOX", "%s %r" % (typ, data))
        m.logout()

    # refusals
    # (the IdP answers {"active": false}: active_attribute refuses it)
    refused(c, "XOAUTH2", xoauth2(c.email, "garbage-" + b64url(secrets.token_bytes(24))), "XOAUTH2 garbage token",
            INACTIVE)
    refused(c, "OAUTHBEARER", oauthbearer(c.email, "garbage-" + b64url(secrets.token_bytes(24)), c.port),
            "OAUTHBEARER garbage token", INACTIVE)
    refused(c, "XOAUTH2", xoauth2("someone.else@example.test", c.token),
            "XOAUTH2 alice's token for another user's mailbox",
            "Username 'someone.else@example.test' did not match '%s'" % c.email)
    if no_email is not None:
        refused(c, "XOAUTH2", xoauth2(c.email, no_email), "XOAUTH2 the token without the email scope",
                "No username returned")
        refused(c, "OAUTHBEARER", oauthbearer(c.email, no_email, c.port),
                "OAUTHBEARER the token without the email scope", "No username returned")

    # RFC 7009 revocation by the client the token was issued to; Dovecot
    # asks the IdP at every login (no auth cache), so the next one fails
    r = requests.post(c.meta["revocation_endpoint"], verify=c.ca, timeout=30,
                      headers={"Authorization": basic(c.app_id, c.app_secret)},
                      data={"token": c.token, "token_type_hint": "access_token"})
    check(r.status_code == 200, "the mail app revokes the access token at the revocation endpoint (RFC 7009)",
          "HTTP %d: %s" % (r.status_code, r.text[:300]))
    refused(c, "XOAUTH2", xoauth2(c.email, c.token), "XOAUTH2 the revoked token", INACTIVE)
    refused(c, "OAUTHBEARER", oauthbearer(c.email, c.token, c.port), "OAUTHBEARER the revoked token", INACTIVE)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash is a failed check, with its reason
        check(False, "dovecot: the flow ran to the end", "%s: %s" % (type(e).__name__, e))
    print("# dovecot: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
