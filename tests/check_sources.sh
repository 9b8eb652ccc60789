#!/bin/sh
# Source guards, run by `make test`:
#  - every OIDCIdP* directive of the module's table is documented in
#    conf/oidc_idp.conf.example and README.md;
#  - log tags OIDP_LOGNO(n) are unique and below include/next-log-number;
#  - no symbol uses mod_auth_openidc's oidc_ prefix (both modules may load
#    into one httpd).
set -eu
cd "$(dirname "$0")/.."
fail=0
n=0

for d in $(grep -o 'AP_INIT_[A-Z0-9]*("OIDCIdP[A-Za-z]*"' mod_oidc_idp.c | sed 's/.*("//; s/"$//'); do
    n=$((n + 1))
    if ! grep -q "^ *# $d " conf/oidc_idp.conf.example; then
        echo "check: $d is not documented in conf/oidc_idp.conf.example"
        fail=1
    fi
    if ! grep -q "$d" README.md; then
        echo "check: $d is not documented in README.md"
        fail=1
    fi
done
[ "$n" -gt 0 ] || { echo "check: no directives found"; fail=1; }

tags=$(grep -ho 'OIDP_LOGNO([0-9]*)' mod_oidc_idp.c src/*.c | sed 's/[^0-9]//g' | sort)
dups=$(echo "$tags" | uniq -d)
if [ -n "$dups" ]; then
    echo "check: log tags used twice: $dups"
    fail=1
fi
next=$(cat include/next-log-number)
for t in $tags; do
    if [ "$t" -ge "$next" ]; then
        echo "check: log tag $t is not below include/next-log-number ($next)"
        fail=1
    fi
done

if grep -nE '\boidc_[a-z]+\s*\(' mod_oidc_idp.c src/*.c include/*.h | grep -v 'oidc_idp_module'; then
    echo "check: symbols must use the oidp_ prefix, not oidc_"
    fail=1
fi

if [ $fail = 0 ]; then
    echo "source checks: $n directives documented, $(echo "$tags" | wc -w) log tags unique: ok"
fi
exit $fail
