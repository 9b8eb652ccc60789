#!/bin/sh
# `make deb`: builds the Debian package libapache2-mod-oidc-idp from debian/
# with Debian's tools (dpkg-buildpackage, debhelper, dh_apache2) in a copy
# of the source tree (git's files, or every file but build/ and state/ when
# there is no git), so that the tree itself stays clean; then lintian,
# which must report nothing (tags that stay are justified, with a comment,
# in debian/libapache2-mod-oidc-idp.lintian-overrides).
# Usage: build-deb.sh OUTDIR [SOURCE_DIR [VERSION]]
#   OUTDIR      where the .deb lands (created)
#   SOURCE_DIR  the tree to build (default: this one)
#   VERSION     a changelog entry of this version is added first (the
#               package test builds an older version so)
# LINTIAN=0 skips lintian.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [SOURCE_DIR [VERSION]]" >&2; exit 1; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
srcdir=$(cd "${2:-$TOP}" && pwd)
version=${3:-}

for t in dpkg-buildpackage dh dh_apache2 xsltproc; do
    command -v "$t" >/dev/null 2>&1 || {
        echo "build-deb: $t is missing (sh scripts/deps.sh deb installs what is needed)" >&2
        exit 1
    }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/oidp-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
src="$work/mod-oidc-idp"
mkdir "$src"
cd "$srcdir"
if [ -d .git ] || git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard
else
    find . \( -path ./build -o -path ./state -o -path ./.git \) -prune -o -type f -print
fi | grep -v '^\(\./\)\?\(build\|state\)/' | while IFS= read -r f; do
    # a tracked file deleted in the work tree is not part of it
    [ -e "$f" ] && printf '%s\n' "$f"
done | tar -cf - -T - | tar -xf - -C "$src"

if [ -n "$version" ]; then
    { printf 'mod-oidc-idp (%s) unstable; urgency=medium\n\n  * Built by the package test.\n\n' "$version"
      printf ' -- mod_oidc_idp developers <mod-oidc-idp@example.org>  %s\n\n' "$(date -R)"
      cat "$src/debian/changelog"; } >"$work/changelog"
    mv "$work/changelog" "$src/debian/changelog"
fi

jobs=$(nproc 2>/dev/null || echo 1)
echo "build-deb: dpkg-buildpackage -b in $src (log: $work/build.log while it runs)"
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1); then
    tail -n 40 "$work/build.log" >&2
    echo "build-deb: dpkg-buildpackage failed" >&2
    exit 1
fi
deb=$(ls "$work"/libapache2-mod-oidc-idp_*.deb)
cp "$deb" "$out/"
deb="$out/$(basename "$deb")"
echo "build-deb: $deb"

if [ "${LINTIAN:-1}" != 0 ]; then
    command -v lintian >/dev/null 2>&1 || {
        echo "build-deb: lintian is missing (sh scripts/deps.sh deb installs it)" >&2
        exit 1
    }
    # every tag, pedantic ones included; overridden ones are not shown
    lrc=0
    lintian --display-info --pedantic --fail-on error,warning,info,pedantic "$deb" >"$work/lintian.out" 2>&1 ||
        lrc=$?
    grep -v '^running with root privileges is not recommended!$' "$work/lintian.out" >"$work/lintian.log" || true
    if [ "$lrc" != 0 ] || [ -s "$work/lintian.log" ]; then
        cat "$work/lintian.log"
        echo "build-deb: lintian reported the tags above (exit $lrc; fix them, or justify an override" \
            "in debian/libapache2-mod-oidc-idp.lintian-overrides)" >&2
        exit 1
    fi
    echo "build-deb: lintian: no tag"
fi
