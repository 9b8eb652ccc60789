#!/bin/sh
# Generates the HTML reference manual from docs/manual/mod_oidc_idp.xml
# (httpd's modulesynopsis format) with xsltproc; no network (--nonet).
# Usage: build.sh OUTDIR   (writes OUTDIR/mod_oidc_idp.html)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
command -v xsltproc >/dev/null 2>&1 || { echo "build.sh: xsltproc is missing (Debian package xsltproc)" >&2; exit 1; }
mkdir -p "$out"
xsltproc --nonet --novalid -o "$out/mod_oidc_idp.html.tmp" "$here/modulesynopsis.xsl" "$here/mod_oidc_idp.xml"
mv -f "$out/mod_oidc_idp.html.tmp" "$out/mod_oidc_idp.html"
