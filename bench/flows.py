#!/usr/bin/env python3
"""Sign-in and token set-up for bench/run.sh (python3-requests), never measured itself.

    flows.py login BASE CLIENT_ID SECRET REDIRECT USER PASSWORD OUT_DIR
        signs in through the login form (as a browser would: the form's hidden fields, the
        session cookie), redeems the code, and writes to OUT_DIR:
          cookie        the Cookie header value of the signed-in session
          access_token  a user's access token (for userinfo)
          refresh.0     the refresh token of that grant
    flows.py refresh BASE CLIENT_ID SECRET REDIRECT OUT_DIR N FILE
        N more grants through authorize with prompt=none on the signed-in session, each
        redeemed; their refresh tokens, one a line, into FILE (each wrk connection of the
        refresh test follows its own chain of rotated refresh tokens).
Exits non-zero with a message on any unexpected answer.
"""
import base64
import hashlib
import html.parser
import os
import secrets
import sys
import urllib.parse

import requests

VERIFIER = "bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
SCOPE = "openid profile email offline_access"


def die(msg):
    sys.stderr.write("flows.py: %s\n" % msg)
    sys.exit(1)


class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "fields": {}})
        elif tag in ("input", "button") and self.forms and a.get("name"):
            if a.get("type") in ("hidden", None, "text", "password"):
                self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


def authz_params(client_id, redirect, **extra):
    p = {"client_id": client_id, "redirect_uri": redirect, "response_type": "code", "scope": SCOPE,
         "state": secrets.token_urlsafe(12), "nonce": secrets.token_urlsafe(12),
         "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    p.update(extra)
    return p


def code_of(r):
    if r.status_code not in (302, 303):
        die("authorize answered HTTP %d, expected a redirect: %s" % (r.status_code, r.text[:200]))
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers.get("Location", "")).query))
    if "code" not in q:
        die("no code in the redirect: %s" % r.headers.get("Location"))
    return q["code"]


def redeem(base, client, redirect, code):
    r = requests.post(base + "/token", auth=client, timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "code_verifier": VERIFIER})
    if r.status_code != 200 or "refresh_token" not in r.json():
        die("code redemption answered HTTP %d: %s" % (r.status_code, r.text[:200]))
    return r.json()


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd = sys.argv[1]
    if cmd == "login" and len(sys.argv) == 9:
        base, cid, secret, redirect, user, password, out = sys.argv[2:]
        s = requests.Session()
        r = s.get(base + "/authorize", params=authz_params(cid, redirect), allow_redirects=False, timeout=30)
        f = Forms()
        f.feed(r.text)
        forms = [x for x in f.forms if "password" in x["fields"]]
        if r.status_code != 200 or len(forms) != 1:
            die("no login form (HTTP %d): %s" % (r.status_code, r.text[:200]))
        fields = dict(forms[0]["fields"], username=user, password=password)
        fields["oidp_action"] = "login"
        action = urllib.parse.urljoin(r.url, forms[0]["action"] or r.url)
        r = s.post(action, data=fields, allow_redirects=False, timeout=30)
        tok = redeem(base, (cid, secret), redirect, code_of(r))
        cookie = "; ".join("%s=%s" % (c.name, c.value) for c in s.cookies)
        if not cookie:
            die("no session cookie after signing in")
        for name, value in (("cookie", cookie), ("access_token", tok["access_token"]),
                            ("refresh.0", tok["refresh_token"])):
            with open(os.path.join(out, name), "w") as fh:
                fh.write(value + "\n")
    elif cmd == "refresh" and len(sys.argv) == 9:
        base, cid, secret, redirect, out, n, dest = sys.argv[2:]
        cookie = open(os.path.join(out, "cookie")).read().strip()
        tokens = []
        with requests.Session() as s:
            for _ in range(int(n)):
                r = s.get(base + "/authorize", params=authz_params(cid, redirect, prompt="none"),
                          headers={"Cookie": cookie}, allow_redirects=False, timeout=30)
                tokens.append(redeem(base, (cid, secret), redirect, code_of(r))["refresh_token"])
        with open(dest, "w") as fh:
            fh.write("\n".join(tokens) + "\n")
    else:
        die(__doc__)


if __name__ == "__main__":
    main()
