// A scripted user agent: what a browser does with the IdP's pages, without a
// browser. It keeps cookies (per host, as RFC 6265 scopes them), follows
// redirects by hand so that it can stop at the relying party's redirect_uri,
// parses the HTML forms the IdP renders (action, method, hidden fields,
// submit buttons) and posts them back with the username and password filled
// in, as a person would.

// ---- cookies ----------------------------------------------------------------
export class CookieJar {
  constructor() {
    this.byHost = new Map(); // host -> Map(name -> {value, path, attrs})
  }

  store(url, res) {
    const host = new URL(url).hostname;
    const list = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const a = Object.fromEntries(
        attrs.map((s) => {
          const i = s.indexOf('=');
          return i < 0 ? [s.trim().toLowerCase(), true] : [s.slice(0, i).trim().toLowerCase(), s.slice(i + 1).trim()];
        }),
      );
      if (!this.byHost.has(host)) this.byHost.set(host, new Map());
      const jar = this.byHost.get(host);
      const expired = a['max-age'] !== undefined && Number(a['max-age']) <= 0;
      if (expired || value === '') jar.delete(name);
      else jar.set(name, { value, attrs: a });
    }
  }

  header(url) {
    const jar = this.byHost.get(new URL(url).hostname);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v.value}`).join('; ');
  }

  get(host, name) {
    const jar = this.byHost.get(host);
    return jar && jar.get(name);
  }
}

// ---- HTML -------------------------------------------------------------------
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return String.fromCodePoint(cp);
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

function attrsOf(tag) {
  const out = {};
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  // skip the tag name
  const body = tag.replace(/^<\s*[a-zA-Z0-9]+/, '').replace(/\/?>$/, '');
  let m;
  while ((m = re.exec(body)) !== null) {
    const v = m[2] ?? m[3] ?? m[4];
    out[m[1].toLowerCase()] = v === undefined ? '' : decodeEntities(v);
  }
  return out;
}

// Every <form> of a page: {action, method, fields: [[name, value]], inputs, buttons}
export function parseForms(html) {
  const forms = [];
  const formRe = /<form\b[^>]*>([\s\S]*?)<\/form>/gi;
  let fm;
  while ((fm = formRe.exec(html)) !== null) {
    const open = fm[0].match(/^<form\b[^>]*>/i)[0];
    const a = attrsOf(open);
    const inputs = [];
    const buttons = [];
    const ctrlRe = /<(input|button)\b[^>]*>/gi;
    let cm;
    while ((cm = ctrlRe.exec(fm[1])) !== null) {
      const at = attrsOf(cm[0]);
      if (cm[1].toLowerCase() === 'input') inputs.push(at);
      else buttons.push(at);
    }
    forms.push({ action: a.action ?? '', method: (a.method || 'get').toLowerCase(), inputs, buttons });
  }
  return forms;
}

export function textOf(html) {
  return decodeEntities(
    html
      .replace(/<(style|script)\b[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' '),
  ).trim();
}

// ---- the agent ----------------------------------------------------------------
export class Agent {
  constructor() {
    this.jar = new CookieJar();
    this.log = []; // what happened, for failure messages
  }

  async request(url, { method = 'GET', form } = {}) {
    const headers = { 'user-agent': 'oidp-e2e-agent', accept: 'text/html,application/json;q=0.9' };
    const cookie = this.jar.header(url);
    if (cookie) headers.cookie = cookie;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.jar.store(url, res);
    const text = await res.text();
    this.log.push(`${method} ${url} -> ${res.status}`);
    return { status: res.status, headers: res.headers, text, url };
  }

  // Plays the browser from an authorization URL until the IdP sends it to
  // redirectUri. Fills the login form with the credentials and answers the
  // consent page with `consent` ('allow' or 'deny'). Returns
  //   {callback: URL}                 for response_mode query and fragment
  //   {formPost: {action, params}}    for response_mode form_post
  // plus {pages: ['login', 'consent', ...]} (what was shown) and {last} (the
  // last IdP response, for an error page).
  async authorize(authUrl, { username, password, redirectUri, consent = 'allow', maxSteps = 12 } = {}) {
    const pages = [];
    let next = { url: String(authUrl), method: 'GET', form: undefined };
    for (let i = 0; i < maxSteps; i += 1) {
      if (next.url.startsWith(redirectUri)) {
        return { callback: new URL(next.url), pages };
      }
      const res = await this.request(next.url, next);
      if (res.status >= 300 && res.status < 400) {
        const loc = res.headers.get('location');
        if (!loc) throw new Error(`redirect without Location from ${next.url}`);
        next = { url: new URL(loc, next.url).toString(), method: 'GET', form: undefined };
        continue;
      }
      if (res.status !== 200) {
        return { status: res.status, last: res, pages };
      }
      const forms = parseForms(res.text);
      const form = forms.find((f) => f.method === 'post');
      if (!form) return { status: res.status, last: res, pages };
      const action = new URL(form.action || next.url, next.url).toString();
      const fields = [];
      for (const inp of form.inputs) {
        if (!inp.name) continue;
        const type = (inp.type || 'text').toLowerCase();
        if (type === 'password') fields.push([inp.name, password]);
        else if (inp.autocomplete === 'username' || inp.name === 'username') fields.push([inp.name, username]);
        else if (type === 'hidden' || type === 'text') fields.push([inp.name, inp.value ?? '']);
      }
      const hasPassword = form.inputs.some((inp) => (inp.type || '').toLowerCase() === 'password');
      if (action.startsWith(redirectUri)) {
        // form_post: the auto-submitting form to the relying party
        pages.push('form_post');
        return { formPost: { action, params: new URLSearchParams(fields) }, pages, last: res };
      }
      let button;
      if (hasPassword) {
        if (pages.includes('login')) {
          // the login page again: the credentials were refused
          pages.push('login');
          return { loginFailed: true, status: res.status, last: res, pages };
        }
        pages.push('login');
        button = form.buttons.find((b) => (b.type || 'submit') === 'submit' && !('formnovalidate' in b));
      } else {
        pages.push('consent');
        button = form.buttons.find((b) => b.value === consent);
        if (!button) throw new Error(`no "${consent}" button on the page: ${textOf(res.text).slice(0, 300)}`);
      }
      if (button && button.name) fields.push([button.name, button.value ?? '']);
      next = { url: action, method: 'POST', form: fields };
    }
    throw new Error(`no redirect to ${redirectUri} after ${maxSteps} steps: ${this.log.slice(-6).join(', ')}`);
  }
}
