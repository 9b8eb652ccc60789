#!/usr/bin/env python3
"""The reference manual (docs/manual/mod_oidc_idp.xml) against the command
table of mod_oidc_idp.c (its AP_INIT_* entries), run by tests/check_sources.sh:
  - every directive of the table has a <directivesynopsis>, and every
    documented directive is in the table;
  - the documented <default> is the table's: the "default X" (or
    "default: X") that ends the directive's help text; no "default" there
    means no <default> element (a required directive, or one without a
    value of its own);
  - the <contextlist> is the table's req_override (RSRC_CONF: server config,
    virtual host; ACCESS_CONF: directory; OR_*: .htaccess);
  - the <syntax> starts with the directive's name; the page is well-formed.
Each failure is one line naming the directive. Usage:
  check_manual.py [MODULE.c [MANUAL.xml]]"""
import re
import sys
import xml.etree.ElementTree as ET

src_path = sys.argv[1] if len(sys.argv) > 1 else "mod_oidc_idp.c"
doc_path = sys.argv[2] if len(sys.argv) > 2 else "docs/manual/mod_oidc_idp.xml"
errors = []


def fail(msg):
    errors.append("check: manual: " + msg)


src = open(src_path, encoding="utf-8").read()
# AP_INIT_KIND("Name", function, cmd_data, req_override, "help" "help"...)
entry = re.compile(
    r'AP_INIT_(\w+)\(\s*"(\w+)"\s*,\s*[^,]+,\s*[^,]+,\s*([^,]+?)\s*,\s*'
    r'((?:"(?:[^"\\]|\\.)*"\s*)+)\)', re.S)
table = {}
order = []
for kind, name, override, helptext in entry.findall(src):
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', helptext)).replace('\\"', '"')
    table[name] = (kind, override, text)
    order.append(name)
if len(re.findall(r'AP_INIT_\w+\(\s*"', src)) != len(order):
    fail("%s: %d AP_INIT_* entries but %d understood (an entry this check cannot read)"
         % (src_path, len(re.findall(r'AP_INIT_\w+\(\s*"', src)), len(order)))
if not order:
    fail("%s: no AP_INIT_* directive found" % src_path)

try:
    root = ET.parse(doc_path).getroot()
except (ET.ParseError, OSError) as e:
    print("check: manual: %s is not well-formed XML: %s" % (doc_path, e))
    sys.exit(1)


def text_of(el):
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip() if el is not None else None


docs = {}
for ds in root.findall("directivesynopsis"):
    name = text_of(ds.find("name"))
    if name in docs:
        fail("%s is documented twice in %s" % (name, doc_path))
    docs[name] = ds


def contexts(override):
    out = []
    parts = [p.strip() for p in override.split("|")]
    if "RSRC_CONF" in parts:
        out += ["server config", "virtual host"]
    if "ACCESS_CONF" in parts:
        out.append("directory")
    if any(p.startswith("OR_") for p in parts):
        out.append(".htaccess")
    return out


for name in order:
    kind, override, helptext = table[name]
    ds = docs.get(name)
    if ds is None:
        fail("%s is in %s's command table but not documented in %s" % (name, src_path, doc_path))
        continue
    m = re.search(r"\bdefault:? (.+)$", helptext)
    want = m.group(1).strip() if m else None
    d = ds.find("default")
    got = text_of(d)
    if got is not None and got.startswith(name + " "):
        got = got[len(name) + 1:].strip()
    if want != got:
        fail("%s has a different default: %s's command table says %s, %s says %s"
             % (name, src_path, repr(want) if want else "none (no \"default\" in its help)",
                doc_path, repr(got) if got is not None else "none (no <default>)"))
    ctx = [text_of(c) for c in ds.findall("contextlist/context")]
    if ctx != contexts(override):
        fail("%s has a different context: the table's %s is %s, %s says %s"
             % (name, override, ", ".join(contexts(override)), doc_path, ", ".join(ctx) or "none"))
    syn = text_of(ds.find("syntax")) or ""
    if syn.split(" ")[0] != name:
        fail("%s: its <syntax> does not start with the directive's name" % name)
    for tag in ("description", "usage"):
        if not text_of(ds.find(tag)):
            fail("%s: no <%s>" % (name, tag))

for name in docs:
    if name not in table:
        fail("%s is documented in %s but is not in %s's command table" % (name, doc_path, src_path))

for e in errors:
    print(e)
if not errors:
    print("manual: %d directives documented with the command table's defaults and contexts" % len(order))
sys.exit(1 if errors else 0)
