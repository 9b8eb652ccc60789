#!/bin/sh
# Installs the Debian packages that are missing (and only then runs
# apt-get update). Usage: deps.sh build|test|deb
#   deb: what `make deb` needs (Debian's packaging tools, xsltproc for the
#   manual, lintian); test includes it (tests/package.sh)
set -eu

BUILD="apache2 apache2-dev libapr1-dev libaprutil1-dev libaprutil1-dbd-sqlite3 libssl-dev
libjansson-dev pkg-config gcc make openssl sqlite3 curl ca-certificates"
DEB="$BUILD debhelper dpkg-dev lintian xsltproc"
TEST="$DEB check libapache2-mod-perl2 libwww-perl libaprutil1-dbd-pgsql postgresql clang
wrk nghttp2-client jq procps libcrypt-openssl-rsa-perl libcrypt-openssl-bignum-perl
libapache2-mod-auth-openidc python3-authlib python3-requests chromium libclang-rt-14-dev
clang-format dovecot-core dovecot-imapd valgrind libasan8 libubsan1 slapd ldap-utils
apache2-utils"

case "${1:-build}" in
build) want=$BUILD ;;
test) want=$TEST ;;
deb) want=$DEB ;;
*) echo "usage: $0 build|test|deb" >&2; exit 1 ;;
esac

missing=
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js may come from Debian (nodejs + npm) or from NodeSource (one nodejs
# package that ships npm): only ask Debian for what is really absent.
if [ "${1:-build}" = test ]; then
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing" >&2
    echo "install them as root (apt-get install$missing) or run this as root" >&2
    exit 1
fi
echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/oidp-apt.XXXXXX)
# shellcheck disable=SC2086
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } > "$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "apt-get failed (full log: $log)" >&2
    exit 1
fi
rm -f "$log"
# Debian starts services it installs when it can; the project starts its own
# instances on loopback and needs none of them.
for s in apache2 postgresql dovecot; do
    if command -v service >/dev/null 2>&1 && service "$s" status >/dev/null 2>&1; then
        service "$s" stop >/dev/null 2>&1 || true
    fi
done
exit 0
