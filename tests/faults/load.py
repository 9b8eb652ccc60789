#!/usr/bin/python3
"""Load and checks for the fault tests (tests/faults/*.sh).

  load.py MODE DIR URL CLIENT_ID SECRET REDIRECT_URI USERNAME PASSWORD

MODE is pg-outage or sqlite-locked. Sets up what the workers need (a
client_credentials token to introspect, a signed-in browser and its user's
access token), writes DIR/ready, then runs its workers until DIR/stop
exists, each recording every HTTP request it makes (kind, start, end,
status, verdict). The shell script meanwhile injects the fault and writes
its marks, one "NAME EPOCH-SECONDS" a line, to DIR/marks: "fault" when the
fault begins (PostgreSQL about to stop, SQLite locked), "cleared" when it
is over (PostgreSQL accepting connections again, the lock released). Then
every access token answered 200 is introspected, and the checks print one
"ok - ..." / "not ok - ..." line each, with the figures as "# ..." lines.

The verdict of a response: "ok" (what a healthy server answers), "503"
(a clear 503: JSON with error temporarily_unavailable for an API, an HTML
page for a person), or "bad: why" (anything else: a 401 or "no row" answer
while the store is down, a 500, a timeout, a login page for a signed-in
browser, active: false for a live token, ...)."""

import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "lib"))
from browser import Browser, parse_forms  # noqa: E402

TIMEOUT = 20          # a request not answered in this time is a hang
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


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def api_verdict(r, good):
    """ok if good(r), 503 if a clear JSON 503, else bad."""
    if r.status_code == 503:
        try:
            err = r.json().get("error")
        except ValueError:
            err = None
        if err == "temporarily_unavailable" and "json" in r.headers.get("Content-Type", ""):
            return "503"
        return "bad: 503 without the JSON error (%s)" % r.headers.get("Content-Type")
    if good(r):
        return "ok"
    return "bad: HTTP %d %s" % (r.status_code, r.text[:120].replace("\n", " "))


def page_verdict(r, good, redirect=None):
    """ok if good(r), 503 if a 503 HTML page, or (with redirect) the OAuth
    error temporarily_unavailable sent to the client's redirect URI (RFC 6749
    4.1.2.1: the request was valid and the store failed after the session
    was read, e.g. at the code's insert), else bad."""
    if r.status_code == 503:
        if r.headers.get("Content-Type", "").startswith("text/html"):
            return "503"
        return "bad: 503 that is not a page (%s)" % r.headers.get("Content-Type")
    loc = r.headers.get("Location", "")
    if redirect and r.status_code in (302, 303) and loc.startswith(redirect):
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        if q.get("error") == "temporarily_unavailable" and "code" not in q:
            return "503"
    if good(r):
        return "ok"
    return "bad: HTTP %d %s %s" % (r.status_code, r.headers.get("Location", ""),
                                   r.text[:120].replace("\n", " "))


class Load:
    def __init__(self, mode, d, url, client_id, secret, redirect, username, password):
        self.mode = mode
        self.dir = d
        self.url = url.rstrip("/")
        self.client = (client_id, secret)
        self.redirect = redirect
        self.username = username
        self.password = password
        self.events = []          # (kind, t0, t1, status, verdict)
        self.tokens = []          # every access token answered 200
        self.lock = threading.Lock()
        self.stop = threading.Event()

    # -- recording ------------------------------------------------------
    def record(self, kind, t0, status, verdict, token=None):
        with self.lock:
            self.events.append((kind, t0, time.time(), status, verdict))
            if token:
                self.tokens.append(token)

    def timed(self, kind, send, verdict):
        """Sends one request; records and returns (response or None, verdict)."""
        t0 = time.time()
        try:
            r = send()
        except requests.RequestException as e:
            self.record(kind, t0, 0, "bad: %s" % type(e).__name__)
            return None, "bad"
        v = verdict(r)
        tok = None
        if kind.startswith("token") and v == "ok":
            tok = r.json()["access_token"]
        self.record(kind, t0, r.status_code, v, tok)
        return r, v

    # -- requests -------------------------------------------------------
    def authz_params(self, **extra):
        verifier = b64e(secrets.token_bytes(32))
        p = {"client_id": self.client[0], "redirect_uri": self.redirect, "response_type": "code",
             "scope": "openid profile email", "state": b64e(secrets.token_bytes(12)),
             "nonce": b64e(secrets.token_bytes(12)),
             "code_challenge": b64e(hashlib.sha256(verifier.encode()).digest()),
             "code_challenge_method": "S256"}
        p.update(extra)
        return p, verifier

    def code_of(self, r):
        loc = r.headers.get("Location", "")
        if r.status_code not in (302, 303) or not loc.startswith(self.redirect):
            return None
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        return q.get("code")

    def redeem(self, s, code, verifier, kind="token-code"):
        return self.timed(kind, lambda: s.post(self.url + "/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect,
            "code_verifier": verifier}, auth=self.client, timeout=TIMEOUT),
            lambda r: api_verdict(r, lambda r: r.status_code == 200 and "access_token" in r.json()))

    def sign_in(self, b, kind="login"):
        """One sign-in through the login form; returns the code or None."""
        p, verifier = self.authz_params()
        url = self.url + "/login/oauth/authorize?" + urllib.parse.urlencode(p)

        def form_of(r):
            if r.status_code != 200:
                return []
            return [f for f in parse_forms(r.text) if f.has_input("password")]

        r, v = self.timed(kind + "-page", lambda: b.request("GET", url),
                          lambda r: page_verdict(r, lambda r: len(form_of(r)) == 1))
        if v != "ok":
            return None, None
        r, v = self.timed(kind + "-post", lambda: b.submit(url, form_of(r)[0], {
            "username": self.username, "password": self.password}, button="login",
            stop=lambda u: u.startswith(self.redirect))[0],
            lambda r: page_verdict(r, lambda r: self.code_of(r) is not None, self.redirect))
        return (self.code_of(r), verifier) if v == "ok" else (None, None)

    # -- workers --------------------------------------------------------
    def w_token(self):
        s = requests.Session()
        while not self.stop.is_set():
            self.timed("token", lambda: s.post(self.url + "/token", data={
                "grant_type": "client_credentials", "scope": "openid"}, auth=self.client,
                timeout=TIMEOUT),
                lambda r: api_verdict(r, lambda r: r.status_code == 200 and "access_token" in r.json()))

    def w_introspect(self):
        s = requests.Session()
        while not self.stop.is_set():
            self.timed("introspect", lambda: s.post(self.url + "/introspect", data={
                "token": self.t0}, auth=self.client, timeout=TIMEOUT),
                lambda r: api_verdict(r, lambda r: r.status_code == 200 and r.json().get("active") is True))

    def w_userinfo(self):
        s = requests.Session()
        while not self.stop.is_set():
            self.timed("userinfo", lambda: s.get(self.url + "/userinfo", headers={
                "Authorization": "Bearer " + self.u0}, timeout=TIMEOUT),
                lambda r: api_verdict(r, lambda r: r.status_code == 200 and "sub" in r.json()))
            time.sleep(0.01)

    def w_session(self):
        """The signed-in browser asks for a code: its session must be found
        (a code), or the answer is a 503 page; never the login page."""
        while not self.stop.is_set():
            p, _ = self.authz_params()
            url = self.url + "/login/oauth/authorize?" + urllib.parse.urlencode(p)
            self.timed("session", lambda: requests.get(url, headers={"Cookie": "%s=%s" % (
                COOKIE, self.cookie)}, allow_redirects=False, timeout=TIMEOUT),
                lambda r: page_verdict(r, lambda r: self.code_of(r) is not None, self.redirect))
            time.sleep(0.01)

    def w_login(self):
        """A new browser signs in (login page, credentials) and its client
        redeems the code."""
        while not self.stop.is_set():
            code, verifier = self.sign_in(Browser())
            if code:
                self.redeem(requests, code, verifier)

    # -- run --------------------------------------------------------------
    def setup(self):
        r = requests.post(self.url + "/token", data={"grant_type": "client_credentials"},
                          auth=self.client, timeout=TIMEOUT)
        self.t0 = r.json().get("access_token") if r.status_code == 200 else None
        b = Browser()
        code, verifier = self.sign_in(b, "setup")
        r, _ = self.redeem(requests, code, verifier, "setup-token") if code else (None, None)
        self.u0 = r.json()["access_token"] if r is not None and r.status_code == 200 else None
        self.cookie = next((c.value for c in b.s.cookies if c.name == COOKIE and c.value), None)
        ok = check(self.t0 and self.u0 and self.cookie,
                   "set-up: a client_credentials token, a signed-in browser and its user's token",
                   (self.t0 is not None, self.u0 is not None, self.cookie is not None))
        with self.lock:
            self.events = []
            self.tokens = [t for t in (self.t0, self.u0) if t]
        return ok

    def run(self):
        if self.mode == "pg-outage":
            workers = [self.w_token] * 3 + [self.w_introspect, self.w_userinfo, self.w_session,
                                             self.w_login]
        else:
            workers = [self.w_token] * 3 + [self.w_introspect, self.w_login]
        ts = [threading.Thread(target=w, daemon=True) for w in workers]
        for t in ts:
            t.start()
        open(os.path.join(self.dir, "ready"), "w").close()
        deadline = time.time() + 170
        while not os.path.exists(os.path.join(self.dir, "stop")) and time.time() < deadline:
            time.sleep(0.1)
        self.stop.set()
        for t in ts:
            t.join(TIMEOUT + 5)
        check(not any(t.is_alive() for t in ts), "every worker finished")

    def introspect_all(self):
        """Every access token answered 200, introspected once the store is
        back: each must be active."""
        bad = []
        lock = threading.Lock()
        todo = list(self.tokens)

        def work():
            s = requests.Session()
            while True:
                with lock:
                    if not todo:
                        return
                    t = todo.pop()
                try:
                    r = s.post(self.url + "/introspect", data={"token": t}, auth=self.client,
                               timeout=TIMEOUT)
                    if r.status_code != 200 or r.json().get("active") is not True:
                        with lock:
                            bad.append("HTTP %d %s" % (r.status_code, r.text[:80]))
                except requests.RequestException as e:
                    with lock:
                        bad.append(type(e).__name__)

        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        check(self.tokens and not bad, "each of the %d access tokens answered 200 is introspected as "
              "active afterwards" % len(self.tokens), "%d not: %s" % (len(bad), bad[:3]))

    # -- report -----------------------------------------------------------
    def report(self, bound):
        marks = {}
        with open(os.path.join(self.dir, "marks")) as f:
            for line in f:
                name, t = line.split()
                marks[name] = float(t)
        if not check("fault" in marks and "cleared" in marks, "the fault was injected and cleared",
                     marks):
            return
        fault, cleared = marks["fault"], marks["cleared"]
        with open(os.path.join(self.dir, "events.jsonl"), "w") as f:
            for e in self.events:
                f.write(json.dumps(e) + "\n")
        phases = {"before": [], "during": [], "after": []}
        for e in self.events:
            phases["before" if e[1] < fault else "during" if e[1] < cleared else "after"].append(e)
        kinds = sorted({e[0] for e in self.events})
        for name, evs in phases.items():
            st = {}
            for e in evs:
                st[e[3]] = st.get(e[3], 0) + 1
            lat = max([e[2] - e[1] for e in evs] or [0])
            print("# %-6s %5d requests, statuses %s, max latency %.2f s" % (
                name, len(evs), " ".join("%d:%d" % kv for kv in sorted(st.items())), lat))
            for k in kinds:
                ke = [e for e in evs if e[0] == k]
                v = {}
                for e in ke:
                    key = e[4] if not e[4].startswith("bad") else "bad"
                    v[key] = v.get(key, 0) + 1
                print("#   %-16s %s" % (k, " ".join("%s:%d" % kv for kv in sorted(v.items()))))
        bad = [e for e in self.events if e[4].startswith("bad")]
        check(not bad, "no wrong answer (401, 500, no-row, login page, timeout) before, during or "
              "after the fault", "%d, first: %s" % (len(bad), [(e[0], e[4]) for e in bad[:4]]))
        for k in kinds:
            check(any(e[0] == k and e[4] == "ok" for e in phases["before"]),
                  "%s served before the fault" % k)
        dur = phases["during"]
        # every request that was waiting at some point of the fault
        over = [e for e in self.events if e[2] >= fault and e[1] < cleared]
        lat = max([e[2] - e[1] for e in over] or [0])
        check(lat <= bound, "each of the %d requests met by the fault answered within %d s (max %.2f s)"
              % (len(over), bound, lat))
        # the paths that depend on the store met the fault
        if self.mode == "pg-outage":
            for k in ("token", "introspect", "userinfo", "session", "login-page"):
                check(any(e[0] == k and e[4] == "503" for e in dur),
                      "%s answered a clear 503 during the outage" % k)
        else:
            # a request that writes waits for the lock, then a clear 503;
            # a client_credentials token writes nothing (issue 10) and is
            # served throughout
            check(any(e[0] in ("login-post", "token-code", "session") and e[4] == "503" for e in over),
                  "a request that writes answered a clear 503 after the bounded wait")
            check(any(e[0] == "token" and e[4] == "ok" for e in dur),
                  "client_credentials tokens (no row written) served while the database was locked")
        after = phases["after"]
        for k in kinds:
            ke = [e for e in after if e[0] == k]
            first = next((e[1] - cleared for e in ke if e[4] == "ok"), None)
            tail = [e for e in ke if e[1] > cleared + 2]
            check(first is not None and tail and all(e[4] == "ok" for e in tail),
                  "%s resumes after the fault without a restart (first 200 after %s s; %d of %d "
                  "later requests ok)" % (k, "%.2f" % first if first is not None else "-",
                                          sum(e[4] == "ok" for e in tail), len(tail)))


def main():
    mode, d = sys.argv[1], sys.argv[2]
    load = Load(mode, d, *sys.argv[3:9])
    if not load.setup():
        open(os.path.join(d, "ready"), "w").close()
        return 1
    load.run()
    load.introspect_all()
    load.report(int(os.environ.get("FAULT_BOUND", "5")))
    print("# faults %s: %d passed, %d failed" % (mode, passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
