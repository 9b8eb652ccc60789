"""A scripted browser for the end-to-end tests: a cookie jar, redirects
followed by hand (every hop recorded), and HTML forms parsed and submitted
the way a browser does (the form's action and method, every input it holds
with its value, the clicked submit button's name and value)."""

import html.parser
import urllib.parse

import requests


class Form:
    def __init__(self, action, method):
        self.action = action
        self.method = method
        self.fields = []          # (name, value, type) of every input
        self.buttons = []         # (name, value) of every submit button

    def has_input(self, typ):
        return any(t == typ for _, _, t in self.fields)

    def button_values(self):
        return [v for _, v in self.buttons]


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._button = None       # attributes of an open <button>

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            typ = a.get("type", "text").lower()
            if "name" not in a or "disabled" in a:
                return
            if typ in ("submit", "image"):
                self._form.buttons.append((a["name"], a.get("value", "")))
            elif typ in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((a["name"], a.get("value", "on"), typ))
            elif typ not in ("button", "reset", "file"):
                self._form.fields.append((a["name"], a.get("value", ""), typ))
        elif tag == "button":
            if a.get("type", "submit").lower() == "submit":
                self._button = a
        elif tag == "textarea" and "name" in a:
            self._form.fields.append((a["name"], "", "textarea"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "button" and self._button is not None:
            if self._form is not None and "name" in self._button:
                self._form.buttons.append((self._button["name"], self._button.get("value", "")))
            elif self._form is not None:
                self._form.buttons.append((None, None))
            self._button = None


def parse_forms(text):
    p = _FormParser()
    p.feed(text)
    p.close()
    return p.forms


class Browser:
    """requests.Session with redirects followed by hand."""

    def __init__(self, ca=None, max_hops=20):
        self.s = requests.Session()
        self.s.headers["User-Agent"] = "oidp-e2e-browser/1"
        self.s.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"
        self.ca = ca
        self.max_hops = max_hops
        self.hops = []            # (method, url, status, location) of the last navigation

    def request(self, method, url, data=None):
        kw = {"allow_redirects": False, "timeout": 30}
        if url.startswith("https:"):
            kw["verify"] = self.ca if self.ca else True
        return self.s.request(method, url, data=data, **kw)

    def go(self, url, method="GET", data=None, stop=None):
        """Navigates to url and follows redirects until a page that is not a
        redirect, or until the next hop's URL satisfies stop(url); returns
        (response, url of the response). self.hops lists every hop."""
        self.hops = []
        for _ in range(self.max_hops):
            r = self.request(method, url, data)
            loc = r.headers.get("Location")
            self.hops.append((method, url, r.status_code, loc))
            if r.status_code in (301, 302, 303, 307, 308) and loc:
                nxt = urllib.parse.urljoin(url, loc)
                if stop is not None and stop(nxt):
                    return r, url
                if r.status_code not in (307, 308):
                    method, data = "GET", None
                url = nxt
                continue
            return r, url
        raise RuntimeError("too many redirects: %r" % self.hops)

    def submit(self, page_url, form, values=None, button=None, stop=None):
        """Submits form (found on page_url) with the given field values; the
        clicked button is the one whose value is `button` (default: the
        first submit button, as pressing Enter does)."""
        data = []
        values = dict(values or {})
        for name, value, _ in form.fields:
            data.append((name, values.pop(name, value)))
        if values:
            raise RuntimeError("form has no field(s) %s" % ", ".join(values))
        if form.buttons:
            chosen = form.buttons[0]
            if button is not None:
                matches = [b for b in form.buttons if b[1] == button]
                if not matches:
                    raise RuntimeError("form has no button %r (has %r)" % (button, form.buttons))
                chosen = matches[0]
            if chosen[0]:
                data.append(chosen)
        action = urllib.parse.urljoin(page_url, form.action or page_url)
        if form.method == "post":
            return self.go(action, "POST", data, stop=stop)
        sep = "&" if "?" in action else "?"
        return self.go(action + sep + urllib.parse.urlencode(data), stop=stop)

    def cookies_for(self, host):
        return [c for c in self.s.cookies if c.domain.lstrip(".") in (host, host + ".local")]

    def copy_cookies_from(self, other, host):
        for c in other.cookies_for(host):
            self.s.cookies.set_cookie(c)
