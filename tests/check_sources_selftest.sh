#!/bin/sh
# Proves that tests/check_sources.sh can fail: in a copy of the tree, plants
# one violation of each kind and checks that its own message is reported
# (and was not before the plant). The tree itself need not pass the checks.
#   a  a core file includes httpd.h; an httpd file an endpoints header
#   b  a cycle: src/core/util.c calls a core file that uses util.c
#   c  a core object calls an httpd-layer function and an ap_* function
#   d  an exported function not named after its file; then a family row
#      of src/README.md allows it
#   e  a misformatted line
#   f  a log tag used twice, and one not below include/next-log-number
#   g  the manual: a directive missing, one that does not exist, a default
#      that differs
# Usage: sh tests/check_sources_selftest.sh (or check_sources.sh --selftest).
# Prints TAP; exit status 1 if a planted violation went unreported.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oidp-checks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
t=$tmp/tree
mkdir "$t"

# the tree as it is (tracked and new files, not build/)
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard
else
    find . -path ./build -prune -o -path ./.git -prune -o -type f -print
fi | grep -v '^\./build/\|^build/' | tar -cf - -T - | tar -xf - -C "$t"
cd "$t"
if ! make -s objects >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    echo "Bail out! the copy of the tree does not build (make objects)"
    exit 1
fi

n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=1; echo "not ok $n - $1"; }

# run the checks into $tmp/out; they must fail
run() {
    if sh tests/check_sources.sh >"$tmp/out" 2>&1; then
        echo "# check_sources.sh passed with planted violations"
        return 1
    fi
    return 0
}
# expect DESCRIPTION ERE: the message is in $tmp/out and not in $tmp/clean
expect() {
    if grep -qE -- "$2" "$tmp/clean"; then
        notok "$1 (already reported before the plant: $2)"
    elif grep -qE -- "$2" "$tmp/out"; then
        ok "$1"
    else
        notok "$1 (no line matching: $2)"
        sed 's/^/#   /' "$tmp/out" | grep -v '^#   format: ' | head -n 30
    fi
}
# plant FILE: keep a pristine copy once; restore puts them all back (with a
# new mtime, so that make rebuilds the objects)
plant() {
    mkdir -p "$tmp/orig/$(dirname "$1")"
    [ -f "$tmp/orig/$1" ] || cp "$1" "$tmp/orig/$1"
}
restore() {
    (cd "$tmp/orig" && find . -type f) | while read -r f; do cat "$tmp/orig/$f" >"$f"; done
    rm -rf "$tmp/orig"
}

sh tests/check_sources.sh >"$tmp/clean" 2>&1 || true

# --- a: includes (the copy does not build then: text checks only)
plant src/core/b64url.c
printf '#include <httpd.h>\n' >>src/core/b64url.c
la=$(wc -l <src/core/b64url.c | tr -d ' ')
plant src/httpd/error.c
printf '#include "oidp_grant.h"\n' >>src/httpd/error.c
lb=$(wc -l <src/httpd/error.c | tr -d ' ')
run || true
expect "a: a core file including httpd.h" \
    "^include: src/core/b64url.c:$la: core includes the httpd header httpd.h\$"
expect "a: an httpd file including an endpoints header" \
    "^include: src/httpd/error.c:$lb: httpd includes oidp_grant.h of the endpoints layer\$"
restore

# symbols from the built objects, to plant calls that exist
defined() { nm -P "$1" | awk '$2 == "T" { print $1; exit }'; }
users_of_util=
for o in build/obj/core/*.o; do
    case $o in */util.o) continue ;; esac
    if nm -P "$o" | awk '$2 == "U"' | grep -q '^oidp_util_'; then
        users_of_util=$o
        break
    fi
done
hsym=$(defined build/obj/httpd/http.o)

# --- b..f: one build with all plants, in different files
if [ -n "$users_of_util" ]; then
    csym=$(defined "$users_of_util")
    csrc=src/core/$(basename "$users_of_util" .o).c
    plant src/core/util.c
    cat >>src/core/util.c <<EOF

void $csym(void);
void oidp_util_selftest_cycle(void);
void oidp_util_selftest_cycle(void)
{
    $csym();
}
EOF
fi
plant src/core/scope.c
cat >>src/core/scope.c <<EOF

void $hsym(void);
int ap_rputs(const char *str, void *r);
void oidp_scope_selftest_layer(void);
void oidp_scope_selftest_layer(void)
{
    $hsym();
    ap_rputs("", 0);
}
EOF
plant src/core/tpl.c
cat >>src/core/tpl.c <<'EOF'

int oidp_selftest_misnamed(void);
int oidp_selftest_misnamed(void)
{
    return 0;
}
EOF
plant src/core/form.c
{ printf 'typedef   int oidp_selftest_fmt_t;\n'; cat "$tmp/orig/src/core/form.c"; } >src/core/form.c
plant src/core/claims.c
tag=$(grep -ho 'OIDP_LOGNO([0-9]*)' src/*/*.c | head -n 1)
printf '/* %s */\n/* OIDP_LOGNO(99999) */\n' "$tag" >>src/core/claims.c
run || true
if [ -n "$users_of_util" ]; then
    # the path starts at the smaller name (byte order, as check_deps.pl)
    a=$(printf "%s\n%s\n" "$csrc" src/core/util.c | LC_ALL=C sort | head -n 1)
    b=$(printf "%s\n%s\n" "$csrc" src/core/util.c | LC_ALL=C sort | tail -n 1)
    expect "b: a cycle through src/core/util.c" "^cycle: $a -> $b -> $a \\("
else
    notok "b: no core file uses src/core/util.c to plant a cycle with"
fi
expect "c: a core object using an httpd-layer function" \
    "^layer: src/core/scope.c \\(core\\) uses src/httpd/http.c \\(httpd\\): $hsym\$"
expect "c: a core object using an httpd symbol" \
    "^layer: src/core/scope.c \\(core\\) uses the httpd symbol ap_rputs\$"
expect "d: a misnamed exported function" \
    "^prefix: src/core/tpl.c exports oidp_selftest_misnamed: not oidp_tpl or oidp_tpl_\\*"
expect "e: a misformatted line" "^format: src/core/form.c differs from .clang-format at lines? 1[,( ]"
expect "f: a log tag used twice" "^check: log tags used twice:.* $(echo "$tag" | sed 's/[^0-9]//g')( |\$)"
expect "f: a log tag not below include/next-log-number" "^check: log tag 99999 is not below"

# d, continued: a family row allows the name (objects unchanged: prefixes only)
cp src/README.md "$tmp/readme"
printf '| `oidp_selftest_` | core/tpl.c | self-test |\n' >>src/README.md
perl tests/check_deps.pl prefixes >"$tmp/out" 2>&1 || true
if grep -q 'oidp_selftest_misnamed' "$tmp/out"; then
    notok "d: a family of src/README.md allows the name"
else
    ok "d: a family of src/README.md allows the name"
fi
printf '| `oidp_nothing_` | core/nothing.c | self-test |\n' >>src/README.md
perl tests/check_deps.pl prefixes >"$tmp/out" 2>&1 || true
expect "d: a family naming a missing file" "^prefix: src/README.md:[0-9]+: family oidp_nothing_ names core/nothing.c, no such source\$"
cp "$tmp/readme" src/README.md
restore

# --- g: the manual (docs/manual/mod_oidc_idp.xml) against the table
plant docs/manual/mod_oidc_idp.xml
sed -i 's|<name>OIDCIdPThrottleWindow</name>|<name>OIDCIdPNoSuchDirective</name>|; s|OIDCIdPCodeLifetime 60<|OIDCIdPCodeLifetime 61<|' \
    docs/manual/mod_oidc_idp.xml
sh tests/check_sources.sh >"$tmp/out" 2>&1 || true
expect "g: a directive of the table missing from the manual" \
    "^check: manual: OIDCIdPThrottleWindow is in mod_oidc_idp.c's command table but not documented"
expect "g: a documented directive not in the table" \
    "^check: manual: OIDCIdPNoSuchDirective is documented in .* but is not in mod_oidc_idp.c's command table"
expect "g: a documented default that differs" \
    "^check: manual: OIDCIdPCodeLifetime has a different default: .* says '60', .* says '61'"
restore

echo "1..$n"
exit $bad
