#!/bin/sh
# The Debian package end to end, on this machine's own Apache (/etc/apache2):
#   1. `make deb`'s build (scripts/build-deb.sh, lintian included) of this
#      tree, once; and a package of the previous schema version: the tree of
#      the commit before the newest migration was added (git archive) with
#      this tree's debian/ and manual, version V~schemaN-1 (older than V);
#   2. the old package installed (dpkg -i): keys, /var/lib/oidc-idp owned by
#      www-data, the database created at schema N-1; a2enmod oidc_idp enables
#      dbd, session, session_cookie and session_crypto too; a2ensite
#      oidc-idp; apache2ctl configtest; Apache started on a free loopback
#      port (the example site's OIDC_IDP_PORT), a client and a user added
#      with oidc-idp-admin, a full authorization code flow with curl (the
#      login form, its post, the code, the token endpoint);
#   3. the upgrade to this tree's package: its postinst migrates the database
#      to schema N (rows kept), Apache restarted, the same flow again (its ID
#      token carries amr, which needs the newest migration's columns);
#   4. remove (module and site disabled, configtest passes, data kept), then
#      purge: no file of the package, no key, no database left.
# The machine is left as it was found: Apache stopped, the package purged,
# /etc/apache2 restored (and compared) from a copy taken first, its logs
# removed. Needs root, dpkg, the git history of the tree; refuses to run when
# the package is installed already or the system's Apache runs. Without
# dpkg it skips, except in CI (CI set), where that is a failure.
# Last line: E2E package: P passed, F failed
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
E2E_NAME=package
. "$TOP/tests/e2e/lib.sh"

PKG=libapache2-mod-oidc-idp
DB=/var/lib/oidc-idp/idp.db
SITE=/etc/apache2/sites-available/oidc-idp.conf
APACHE_PID=/var/run/apache2/apache2.pid

if ! command -v dpkg >/dev/null 2>&1; then
    if [ -n "${CI:-}" ]; then
        die "dpkg is present (CI is set: a skip is a failure here)"
    fi
    echo "# skipped: no dpkg on this machine (not a Debian system)"
    echo "E2E $E2E_NAME: 0 passed, 0 failed (skipped: no dpkg)"
    exit 0
fi
[ "$(id -u)" = 0 ] || die "runs as root (it installs a package)"
for t in dpkg-buildpackage dh_apache2 lintian xsltproc sqlite3 curl jq git a2enmod apache2ctl; do
    command -v "$t" >/dev/null 2>&1 || die "$t is installed (sh scripts/deps.sh test)"
done
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files'; then
    die "$PKG is not installed before the test (it would be purged; dpkg -P $PKG first)"
fi
for d in /etc/oidc-idp /var/lib/oidc-idp; do
    [ ! -e "$d" ] || die "$d does not exist before the test (the package's purge removes it)"
done
if [ -s "$APACHE_PID" ] && kill -0 "$(cat "$APACHE_PID")" 2>/dev/null; then
    die "the system's Apache ($APACHE_PID) is not running (the test starts and stops it)"
fi

VERSION=$(sed -n 's/^#define OIDP_SCHEMA_VERSION \([0-9]*\)$/\1/p' include/core/oidp_schema.h)
NEWEST=$(printf '%04d' "$VERSION")
[ -f "conf/migrations/$NEWEST.sqlite3.sql" ] || die "conf/migrations/$NEWEST.sqlite3.sql exists"
ADDED=$(git log -1 --format=%H --diff-filter=A -- "conf/migrations/$NEWEST.sqlite3.sql" 2>/dev/null)
[ -n "$ADDED" ] && git cat-file -e "$ADDED^" 2>/dev/null ||
    die "the git history holds the commit before migration $NEWEST was added (a full clone)"
DEB_VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
OLD_VERSION="$DEB_VERSION~schema$((VERSION - 1))"

WORK=$(mktemp -d /tmp/oidp-package.XXXXXXXX)
chmod 0755 "$WORK"
t0=$(date +%s)

apache() {
    # as apache2ctl does without systemd: Debian's environment, its pid file
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C sh -c '. /etc/apache2/envvars && exec /usr/sbin/apache2 "$@"' \
        apache2 "$@"
}
apache_stop() {
    [ -s "$APACHE_PID" ] || return 0
    pid=$(cat "$APACHE_PID")
    kill -0 "$pid" 2>/dev/null || return 0
    apache -k stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    return 0
}
# the log files Apache made that were not there before the test
new_logs() {
    [ -f "$WORK/logs-before" ] || return 0
    find /var/log/apache2 -maxdepth 1 -type f 2>/dev/null | sort | comm -13 "$WORK/logs-before" - |
        while read -r f; do rm -f "$f"; done
}
BG_PID=
cleanup() {
    # a package build still running in the background ends first
    [ -z "$BG_PID" ] || wait "$BG_PID" 2>/dev/null
    apache_stop
    if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files\|half'; then
        dpkg -P "$PKG" >"$WORK/cleanup-purge.log" 2>&1 || cat "$WORK/cleanup-purge.log"
    fi
    rm -rf /etc/oidc-idp /var/lib/oidc-idp
    if [ -d "$WORK/etc-apache2/apache2" ]; then
        rm -rf /etc/apache2 && cp -a "$WORK/etc-apache2/apache2" /etc/apache2
    fi
    new_logs
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# check NAME COMMAND...: ok when the command succeeds
check() {
    name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# logged NAME LOG COMMAND...: ok when it succeeds; its output in LOG, shown on failure
logged() {
    name=$1
    log=$2
    shift 2
    if "$@" >"$log" 2>&1; then
        ok "$name"
    else
        not_ok "$name"
        tail -n 25 "$log" | sed 's/^/#   /'
    fi
}

# ---- the machine as it is: /etc/apache2 kept whole, restored at the end
mkdir -p "$WORK/etc-apache2"
cp -a /etc/apache2 "$WORK/etc-apache2/apache2" || die "a copy of /etc/apache2 is taken"
find /var/log/apache2 -maxdepth 1 -type f 2>/dev/null | sort >"$WORK/logs-before"

# ---- 1. the packages: the old one built in the background while the new one
# builds (each build is mostly serial: two cores are used)
mkdir -p "$WORK/old-src"
git archive "$ADDED^" | tar -xf - -C "$WORK/old-src" || die "git archive of $ADDED^"
rm -rf "$WORK/old-src/debian" "$WORK/old-src/docs/manual"
mkdir -p "$WORK/old-src/docs" "$WORK/old-src/scripts"
cp -a debian "$WORK/old-src/debian"
cp -a docs/manual "$WORK/old-src/docs/manual"
cp scripts/build-deb.sh "$WORK/old-src/scripts/"
old_schema=$(sed -n 's/^#define OIDP_SCHEMA_VERSION \([0-9]*\)$/\1/p' "$WORK/old-src/include/core/oidp_schema.h")
check "the previous version's tree ($(git rev-parse --short "$ADDED^")) has schema version $((VERSION - 1))" \
    [ "$old_schema" = $((VERSION - 1)) ]
(
    r=0
    env LINTIAN=0 sh "$WORK/old-src/scripts/build-deb.sh" "$WORK/old" "$WORK/old-src" "$OLD_VERSION" \
        >"$WORK/build-old.log" 2>&1 || r=$?
    echo $r >"$WORK/build-old.rc"
) &
BG_PID=$!
logged "make deb: the package builds and lintian reports no tag" "$WORK/build-new.log" \
    sh scripts/build-deb.sh "$WORK/new"
NEW_DEB=$(ls "$WORK"/new/${PKG}_*.deb 2>/dev/null | head -n 1)
grep '^build-deb: lintian' "$WORK/build-new.log" | sed 's/^/# /'
wait "$BG_PID"
BG_PID=
[ -n "$NEW_DEB" ] || die "make deb made a .deb"
logged "the package of the previous schema builds ($OLD_VERSION)" "$WORK/build-old.out" \
    sh -c "cat '$WORK/build-old.log'; [ \"\$(cat '$WORK/build-old.rc')\" = 0 ]"
OLD_DEB=$(ls "$WORK"/old/${PKG}_*.deb 2>/dev/null | head -n 1)
[ -n "$OLD_DEB" ] || die "the old .deb was made"
check "$OLD_VERSION is older than $DEB_VERSION" dpkg --compare-versions "$OLD_VERSION" lt "$DEB_VERSION"
echo "# packages built in $(($(date +%s) - t0)) s"

schema_of() { sqlite3 "$DB" "SELECT value FROM oidp_meta WHERE name = 'schema_version'" 2>/dev/null; }
admin() { runuser -u www-data -- /usr/sbin/oidc-idp-admin --db "sqlite3:$DB" "$@"; }

# ---- 2. the old package
logged "dpkg -i the package of schema $((VERSION - 1))" "$WORK/install-old.log" dpkg -i "$OLD_DEB"
check "installed: $(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null)" \
    [ "$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null)" = "$OLD_VERSION" ]
check "/var/lib/oidc-idp belongs to www-data, 0700" \
    [ "$(stat -c '%U:%G %a' /var/lib/oidc-idp 2>/dev/null)" = "www-data:www-data 700" ]
check "the database was created, schema version $((VERSION - 1))" [ "$(schema_of)" = $((VERSION - 1)) ]
check "the signing keys and the session passphrase: root's, 0600" sh -c '
    for f in signing-rs256.pem signing-es256.pem session-passphrase; do
        [ "$(stat -c "%U %a" /etc/oidc-idp/$f)" = "root 600" ] || exit 1
    done'
check "the module is not enabled at installation" [ ! -e /etc/apache2/mods-enabled/oidc_idp.load ]

logged "a2enmod oidc_idp" "$WORK/a2enmod.log" a2enmod oidc_idp
check "a2enmod enabled dbd, session, session_cookie, session_crypto with it" sh -c '
    for m in oidc_idp dbd session session_cookie session_crypto; do
        [ -e /etc/apache2/mods-enabled/$m.load ] || exit 1
    done'
logged "a2ensite oidc-idp" "$WORK/a2ensite.log" a2ensite oidc-idp
# the test's own port, and nothing else listening: the example site's
# OIDC_IDP_PORT set to a free port, ports.conf's Listen 80 and 443 and the
# default site off (all restored at the end)
PORT=$(free_ports 1)
sed -i "s/^Define OIDC_IDP_PORT .*/Define OIDC_IDP_PORT $PORT/" "$SITE"
sed -i 's/^\([[:space:]]*Listen\)/#\1/' /etc/apache2/ports.conf
a2dissite -q 000-default >/dev/null 2>&1 || true
logged "apache2ctl configtest" "$WORK/configtest-old.log" apache2ctl configtest
ISSUER="http://localhost:$PORT"
REDIRECT="http://localhost:$PORT/app/callback"

jq_true() { jq -e "$@" >/dev/null 2>&1; }

# flow LABEL: a client and a user exist; the browser's steps with curl:
# authorization request -> login form -> its post -> code at the redirect
# URI -> token endpoint. Sets $ID_TOKEN.
flow() {
    label=$1
    jar="$WORK/cookies.$label"
    rm -f "$jar"
    q="client_id=app&response_type=code&scope=openid%20profile&redirect_uri=$(printf %s "$REDIRECT" |
        sed 's/:/%3A/g; s|/|%2F|g')&state=st-$label&nonce=n-$label"
    code=$(curl -s -c "$jar" -b "$jar" -o "$WORK/form.$label.html" -w '%{http_code}' \
        "$ISSUER/login/oauth/authorize?$q")
    csrf=$(tr '>' '\n' <"$WORK/form.$label.html" | sed -n 's/.*name="oidp_csrf"[^>]*value="\([^"]*\)".*/\1/p' |
        head -n 1)
    check "$label: the authorization request shows the login form (HTTP $code)" \
        sh -c "[ '$code' = 200 ] && [ -n '$csrf' ] && grep -q 'name=\"password\"' '$WORK/form.$label.html'"
    loc=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
        --data "$q" --data-urlencode "oidp_csrf=$csrf" --data-urlencode "username=alice" \
        --data-urlencode "password=$PASSWORD" --data "oidp_action=login" "$ISSUER/login/oauth/authorize")
    authz_code=$(echo "$loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
    check "$label: the login form's post redirects to the client with a code ($loc)" \
        sh -c "case '$loc' in '302 $REDIRECT?'*) [ -n '$authz_code' ] ;; *) exit 1 ;; esac"
    code=$(curl -s -o "$WORK/token.$label.json" -w '%{http_code}' -u "app:$SECRET" \
        -d grant_type=authorization_code --data-urlencode "redirect_uri=$REDIRECT" \
        --data-urlencode "code=$authz_code" "$ISSUER/api/login/oauth/access_token")
    ID_TOKEN=$(jq -r '.id_token // empty' "$WORK/token.$label.json" 2>/dev/null)
    check "$label: the token endpoint exchanges the code: access and ID token (HTTP $code)" \
        sh -c "[ '$code' = 200 ] && [ -n \"\$(jq -r '.access_token // empty' '$WORK/token.$label.json')\" ] \
            && [ -n '$ID_TOKEN' ]"
    payload=$(echo "$ID_TOKEN" | cut -d. -f2 | tr '_-' '/+')
    while [ $((${#payload} % 4)) -ne 0 ]; do payload="$payload="; done
    CLAIMS="$WORK/claims.$label.json"
    echo "$payload" | base64 -d >"$CLAIMS" 2>/dev/null
    check "$label: the ID token is from $ISSUER, with the request's nonce" \
        jq_true --arg iss "$ISSUER" --arg nonce "n-$label" '.iss == $iss and .nonce == $nonce' "$CLAIMS"
}

SECRET=$(admin client add app --name "Package test" --first-party --redirect-uri "$REDIRECT" 2>/dev/null |
    sed -n 's/^client_secret: //p')
PASSWORD=$(openssl rand -hex 12)
printf '%s\n' "$PASSWORD" | admin user add alice --password-stdin --name "Alice" >/dev/null 2>&1
check "oidc-idp-admin (as www-data) adds a client and a user" [ -n "$SECRET" ]

logged "Apache starts (the example site on 127.0.0.1:$PORT)" "$WORK/start-old.log" apache -k start
i=0
until curl -sf -o /dev/null "$ISSUER/.well-known/openid-configuration" || [ $i -ge 50 ]; do
    sleep 0.2
    i=$((i + 1))
done
check "discovery answers with the issuer" sh -c \
    "curl -s '$ISSUER/.well-known/openid-configuration' | jq -e '.issuer == \"$ISSUER\"' >/dev/null"
flow old

# ---- 3. the upgrade: the postinst migrates
logged "dpkg -i the new package (upgrade from $OLD_VERSION)" "$WORK/install-new.log" dpkg -i "$NEW_DEB"
sed 's/^/#   /' "$WORK/install-new.log" | grep -i 'schema\|migrat' | head -n 5
check "installed: $DEB_VERSION" [ "$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null)" = "$DEB_VERSION" ]
check "the upgrade migrated the database to schema version $VERSION" [ "$(schema_of)" = "$VERSION" ]
check "the postinst said so (oidc-idp-admin migrate)" grep -q "$((VERSION - 1)).*$VERSION" "$WORK/install-new.log"
check "the client and the user made before the upgrade are kept" sh -c \
    "runuser -u www-data -- /usr/sbin/oidc-idp-admin --db sqlite3:$DB user show alice >/dev/null 2>&1 &&
     runuser -u www-data -- /usr/sbin/oidc-idp-admin --db sqlite3:$DB client show app >/dev/null 2>&1"
check "the module and the site stay enabled" \
    test -e /etc/apache2/mods-enabled/oidc_idp.load -a -e /etc/apache2/sites-enabled/oidc-idp.conf
logged "apache2ctl configtest (new module)" "$WORK/configtest-new.log" apache2ctl configtest
apache_stop
logged "Apache starts again with the new module" "$WORK/start-new.log" apache -k start
i=0
until curl -sf -o /dev/null "$ISSUER/.well-known/openid-configuration" || [ $i -ge 50 ]; do
    sleep 0.2
    i=$((i + 1))
done
flow new
check "new: the ID token carries amr [\"pwd\"] (the migration's columns)" \
    jq_true '.amr == ["pwd"]' "$CLAIMS"
apache_stop
check "Apache stopped, port $PORT free" sh -c "! curl -s -o /dev/null '$ISSUER/'"

# ---- 4. remove, then purge
logged "dpkg -r" "$WORK/remove.log" dpkg -r "$PKG"
check "remove: the module and the site are disabled" \
    test ! -e /etc/apache2/mods-enabled/oidc_idp.load -a ! -e /etc/apache2/sites-enabled/oidc-idp.conf
check "remove: the module and the tool are gone" \
    test ! -e /usr/lib/apache2/modules/mod_oidc_idp.so -a ! -e /usr/sbin/oidc-idp-admin
check "remove: the database and the keys are kept" test -s "$DB" -a -s /etc/oidc-idp/signing-rs256.pem
logged "remove: apache2ctl configtest passes without the module" "$WORK/configtest-removed.log" \
    apache2ctl configtest
logged "dpkg -P" "$WORK/purge.log" dpkg -P "$PKG"
check "purge: the package is unknown to dpkg" sh -c "! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null | grep -q ."
left=""
for f in $(dpkg -c "$NEW_DEB" | awk '{print $6}' | sed 's|^\./|/|'); do
    case $f in */) continue ;; esac
    [ ! -e "$f" ] || left="$left $f"
done
for f in /etc/oidc-idp /var/lib/oidc-idp /etc/apache2/mods-available/oidc_idp.load \
    /etc/apache2/mods-available/oidc_idp.conf "$SITE" /usr/share/oidc-idp; do
    [ ! -e "$f" ] || left="$left $f"
done
check "purge: no file, key or database left${left:+ (left:$left)}" [ -z "$left" ]

# ---- the machine as it was
apache_stop
rm -rf /etc/apache2 && cp -a "$WORK/etc-apache2/apache2" /etc/apache2
new_logs
find /var/log/apache2 -maxdepth 1 -type f 2>/dev/null | sort >"$WORK/logs-after"
check "/etc/apache2 restored as it was" diff -r "$WORK/etc-apache2/apache2" /etc/apache2
check "no new log file left in /var/log/apache2" cmp -s "$WORK/logs-before" "$WORK/logs-after"
check "no Apache of the test left running" sh -c \
    "! { [ -s '$APACHE_PID' ] && kill -0 \"\$(cat '$APACHE_PID')\" 2>/dev/null; }"
echo "# package test: $(($(date +%s) - t0)) s"
finish
