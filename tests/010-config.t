# Bad configuration is refused by `apache2 -t` (and so at start-up) with a
# message that names the directive or the problem; good values pass. Each
# case is a small configuration written into the run's state folder.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use OIDP::Test;

my $httpd = Apache::Test::config()->{vars}->{httpd} || '/usr/sbin/apache2';
my $top = $ENV{OIDP_TEST_TOP};
my $state = $ENV{OIDP_TEST_STATE};
my $mods = $ENV{OIDP_TEST_MODULES};
my $dir = "$state/tmp/configtest";
make_path($dir);
my $K = "$state/keys";

my $modules = <<EOF;
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule session_module $mods/mod_session.so
LoadModule session_cookie_module $mods/mod_session_cookie.so
EOF
my $dbd = <<EOF;
LoadModule dbd_module $mods/mod_dbd.so
DBDriver sqlite3
DBDParams $dir/unused.db
EOF
my $ours = "LoadModule oidc_idp_module $ENV{OIDP_TEST_MODULE}\n";
my $good = "OIDCIdPIssuer https://idp.example.com\nOIDCIdPSigningKey $K/main-rsa.pem\n";

my $n = 0;
sub configtest {
    my $body = shift;
    my $file = sprintf '%s/case%02d.conf', $dir, ++$n;
    open my $fh, '>', $file or die "$file: $!";
    print $fh "ServerRoot $dir\nServerName localhost\nListen 127.0.0.1:9\nErrorLog $dir/error_log\n"
        . "PidFile $dir/httpd.pid\n$body";
    close $fh;
    my $out = qx{'$httpd' -t -f '$file' 2>&1};
    return ($? >> 8, $out);
}

sub refused {
    my ($name, $body, $re) = @_;
    my ($rc, $out) = configtest($body);
    isnt($rc, 0, "refused: $name") or diag($out);
    like($out, $re, "refused with a clear message: $name") or diag($out);
    unlike($out, qr/Segmentation|core dumped|Aborted/i, "no crash: $name");
}

sub accepted {
    my ($name, $body) = @_;
    my ($rc, $out) = configtest($body);
    is($rc, 0, "accepted: $name") or diag($out);
}

# ---------------------------------------------------------- negative first
refused('http issuer that is not loopback', "$modules$dbd$ours" . "OIDCIdPIssuer http://idp.example.com\nOIDCIdPSigningKey $K/main-rsa.pem\n",
    qr/OIDCIdPIssuer.*https/);
refused('issuer with a query', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com/?a=b\nOIDCIdPSigningKey $K/main-rsa.pem\n",
    qr/OIDCIdPIssuer.*query/);
refused('issuer with a fragment', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com/#x\nOIDCIdPSigningKey $K/main-rsa.pem\n",
    qr/OIDCIdPIssuer.*fragment/);
refused('issuer that is not a URL', "$modules$dbd$ours" . "OIDCIdPIssuer idp.example.com\nOIDCIdPSigningKey $K/main-rsa.pem\n",
    qr/OIDCIdPIssuer/);
refused('issuer with user information', "$modules$dbd$ours" . "OIDCIdPIssuer https://u:p\@idp.example.com\nOIDCIdPSigningKey $K/main-rsa.pem\n",
    qr/OIDCIdPIssuer/);
refused('missing key file', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\nOIDCIdPSigningKey $dir/none.pem\n",
    qr/OIDCIdPSigningKey/);
refused('a file that is not a key', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\nOIDCIdPSigningKey $dir/case01.conf\n",
    qr/OIDCIdPSigningKey/);
refused('only an EC key (RS256 is required)', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\nOIDCIdPSigningKey $K/main-ec.pem\n",
    qr/RSA|RS256/);
refused('the same key twice', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\nOIDCIdPSigningKey $K/main-rsa.pem $K/main-rsa.pem\n",
    qr/OIDCIdPSigningKey.*twice/);
refused('an issuer without a key', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\n",
    qr/OIDCIdPSigningKey/);
refused('a key without an issuer', "$modules$dbd$ours" . "OIDCIdPSigningKey $K/main-rsa.pem\n",
    qr/OIDCIdPIssuer/);
refused('a vhost key without any issuer', "$modules$dbd$ours<VirtualHost *:9>\nOIDCIdPSigningKey $K/main-rsa.pem\n</VirtualHost>\n",
    qr/OIDCIdPIssuer/);
refused('without mod_dbd', "$modules$ours$good", qr/mod_dbd/);
refused('code lifetime over 600 s', "$modules$dbd$ours$good" . "OIDCIdPCodeLifetime 601\n", qr/OIDCIdPCodeLifetime/);
refused('code lifetime 11m', "$modules$dbd$ours$good" . "OIDCIdPCodeLifetime 11m\n", qr/OIDCIdPCodeLifetime/);
for my $bad ('0', '-5', '10x', '1y', '', 'abc', '99999999999', '5 m', '1.5h', '366d') {
    refused("access token lifetime '$bad'", "$modules$dbd$ours$good" . "OIDCIdPAccessTokenLifetime \"$bad\"\n",
        qr/OIDCIdPAccessTokenLifetime/);
}
refused('ID token lifetime 0', "$modules$dbd$ours$good" . "OIDCIdPIDTokenLifetime 0\n", qr/OIDCIdPIDTokenLifetime/);
refused('refresh token lifetime garbage', "$modules$dbd$ours$good" . "OIDCIdPRefreshTokenLifetime soon\n",
    qr/OIDCIdPRefreshTokenLifetime/);
refused('empty audience', "$modules$dbd$ours$good" . "OIDCIdPAccessTokenAudience \"\"\n", qr/OIDCIdPAccessTokenAudience/);
refused('unknown endpoint name', "$modules$dbd$ours$good" . "OIDCIdPEndpoint tokens /t\n", qr/OIDCIdPEndpoint.*unknown/);
refused('relative endpoint path', "$modules$dbd$ours$good" . "OIDCIdPEndpoint token token\n", qr/OIDCIdPEndpoint/);
refused('endpoint with a fragment', "$modules$dbd$ours$good" . "OIDCIdPEndpoint token /t#x\n", qr/OIDCIdPEndpoint/);
refused('endpoint without a path', "$modules$dbd$ours$good" . "OIDCIdPEndpoint token\n", qr/OIDCIdPEndpoint/);
refused('max body below 1024', "$modules$dbd$ours$good" . "OIDCIdPMaxRequestBody 1023\n", qr/OIDCIdPMaxRequestBody/);
refused('max body above 16 MiB', "$modules$dbd$ours$good" . "OIDCIdPMaxRequestBody 16777217\n", qr/OIDCIdPMaxRequestBody/);
refused('max body not a number', "$modules$dbd$ours$good" . "OIDCIdPMaxRequestBody 4k\n", qr/OIDCIdPMaxRequestBody/);
# the session cookie (issue 8, item 14): a __Host- cookie that browsers
# would drop is refused with the file and line of its SessionCookieName; an
# https issuer's cookie without the prefix is warned about there
refused('a __Host- session cookie with a Domain', "$modules$dbd$ours$good"
        . "<Location /authorize>\nSession On\nSessionCookieName __Host-s path=/;Domain=example.com\n</Location>\n",
        qr/__Host-s of the issuer https:\/\/idp\.example\.com \(\S+case\d+\.conf:\d+\) has the __Host- prefix but it has a Domain/);
refused('a __Host- session cookie with another path', "$modules$dbd$ours$good"
        . "<Location /authorize>\nSession On\nSessionCookieName __Host-s path=/authorize\n</Location>\n",
        qr/__Host- prefix but its path is not \//);
refused('a __Host- session cookie without a path', "$modules$dbd$ours$good"
        . "<Location /authorize>\nSession On\nSessionCookieName __Host-s HttpOnly\n</Location>\n",
        qr/__Host- prefix but it has no path=\//);
{
    my ($rc, $out) = configtest("$modules$dbd$ours$good"
        . "<Location /authorize>\nSession On\nSessionCookieName plain path=/;HttpOnly\n</Location>\n");
    is($rc, 0, 'accepted: an https issuer\'s cookie without the __Host- prefix') or diag($out);
    like($out, qr/OIDP00300.*cookie plain of the https issuer https:\/\/idp\.example\.com \(\S+case\d+\.conf:\d+\) lacks the __Host- prefix/,
         'warned, with the file and line of SessionCookieName') or diag($out);
    ($rc, $out) = configtest("$modules$dbd$ours$good"
        . "<Location /authorize>\nSession On\nSessionCookieName __Host-s path=/;HttpOnly;SameSite=Lax\n</Location>\n");
    is($rc, 0, 'accepted: a __Host- cookie with path=/') or diag($out);
    unlike($out, qr/OIDP0030[01]/, 'no warning for it') or diag($out);
}
refused('session lifetime 0', "$modules$dbd$ours$good" . "OIDCIdPSessionLifetime 0\n", qr/OIDCIdPSessionLifetime/);
refused('login template that does not exist', "$modules$dbd$ours$good" . "OIDCIdPLoginTemplate $dir/none.html\n",
    qr/OIDCIdPLoginTemplate/);
{
    my $bad = "$dir/bad-template.html";
    open my $fh, '>', $bad or die "$bad: $!";
    print $fh "<form action=\"{{form_action}}\">{{hidden_fields}}{{passwrd}}</form>\n";
    close $fh;
    refused('login template with an unknown placeholder',
        "$modules$dbd$ours$good" . "OIDCIdPLoginTemplate $bad\n", qr/unknown placeholder \{\{passwrd\}\}/);
    my $noform = "$dir/noform-template.html";
    open $fh, '>', $noform or die "$noform: $!";
    print $fh "<p>{{title}}</p>\n";
    close $fh;
    refused('login template without the form placeholders',
        "$modules$dbd$ours$good" . "OIDCIdPLoginTemplate $noform\n", qr/form_action.*hidden_fields/);
}
refused('plain PKCE flag that is not On/Off', "$modules$dbd$ours$good" . "OIDCIdPAllowPlainPKCE maybe\n",
    qr/OIDCIdPAllowPlainPKCE/);
refused('a directive in <Location>', "$modules$dbd$ours$good<Location /x>\nOIDCIdPAccessTokenLifetime 60\n</Location>\n",
    qr/OIDCIdPAccessTokenLifetime.*not allowed/);
refused('a directive in <Directory>', "$modules$dbd$ours$good<Directory /tmp>\nOIDCIdPIssuer https://a.example.com\n</Directory>\n",
    qr/OIDCIdPIssuer.*not allowed/);
refused('the purge interval in a virtual host', "$modules$dbd$ours$good<VirtualHost *:9>\nOIDCIdPPurgeInterval 1h\n</VirtualHost>\n",
    qr/OIDCIdPPurgeInterval cannot occur within <VirtualHost>.*one purge serves every virtual host/);
for my $bad ('0', 'soon', '2d', '-1', '1.5h') {
    refused("purge interval '$bad'", "$modules$dbd$ours$good" . "OIDCIdPPurgeInterval \"$bad\"\n",
        qr/OIDCIdPPurgeInterval: .*must be Off or a duration from 1 second to 1 day/);
}
# the checks of the whole configuration name the directive's file and line
refused('an issuer without a key names its line', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\n",
    qr/OIDCIdPIssuer https:\/\/idp.example.com \(\S+case\d+\.conf:\d+\) but no OIDCIdPSigningKey/);
refused('a key without an issuer names its line', "$modules$dbd$ours" . "\nOIDCIdPSigningKey $K/main-rsa.pem\n",
    qr/OIDCIdPSigningKey \(\S+case\d+\.conf:\d+\) but no OIDCIdPIssuer/);
refused('only an EC key names its line', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\nOIDCIdPSigningKey $K/main-ec.pem\n",
    qr/RSA OIDCIdPSigningKey \(\S+case\d+\.conf:\d+\)/);
refused('an endpoint mapped in a virtual host without an issuer',
    "$modules$dbd$ours<VirtualHost *:9>\nServerName a.example.com\n$good</VirtualHost>\n"
    . "<VirtualHost *:9>\nServerName b.example.com\n<Location /t>\nSetHandler \"oidc-idp-token\"\n</Location>\n</VirtualHost>\n",
    qr/SetHandler oidc-idp-token \(\S+case\d+\.conf:\d+\) maps an endpoint in server b\.example\.com:\d+, which has no OIDCIdPIssuer/);
refused('endpoints mapped where no server has an issuer', "$modules$dbd$ours" . "Include $top/conf/oidc_idp-endpoints.conf\n",
    qr/SetHandler oidc-idp-discovery \(\S+oidc_idp-endpoints\.conf:\d+\) maps an endpoint.*no OIDCIdPIssuer/);
{
    # a database of another schema version, named with its DBDParams line
    my $db = "$dir/old.db";
    unlink $db;
    system("$top/build/oidc-idp-admin", '--db', "sqlite3:$db", 'init') == 0 or die 'oidc-idp-admin init';
    system('sqlite3', $db, "UPDATE oidp_meta SET value = '4' WHERE name = 'schema_version'") == 0 or die 'sqlite3';
    my $old = "LoadModule dbd_module $mods/mod_dbd.so\nDBDriver sqlite3\nDBDParams \"$db\"\n";
    refused('a database of an older schema version', "$modules$old$ours$good",
        qr/database of \S+ \(DBDParams, \S+case\d+\.conf:\d+\) has schema version 4, this module needs \d+: run 'oidc-idp-admin migrate'/);
    system('sqlite3', $db, "UPDATE oidp_meta SET value = '99' WHERE name = 'schema_version'") == 0 or die 'sqlite3';
    refused('a database of a newer schema version', "$modules$old$ours$good", qr/has schema version 99.*install the module/);
    system('sqlite3', $db, "DELETE FROM oidp_meta") == 0 or die 'sqlite3';
    refused('a database without a schema version', "$modules$old$ours$good", qr/has no schema version: run 'oidc-idp-admin init'/);
    unlink $db;
    system("$top/build/oidc-idp-admin", '--db', "sqlite3:$db", 'init') == 0 or die 'oidc-idp-admin init';
    accepted('a database of the current schema version', "$modules$old$ours$good");
    unlink $db;
}

# the browser's sign-in needs mod_session and a session store (issue 12: configtest names what is missing)
{
    my $bare = "LoadModule mpm_event_module $mods/mod_mpm_event.so\nLoadModule authz_core_module $mods/mod_authz_core.so\n";
    my $authz = "<Location /authorize>\nSetHandler oidc-idp-authorize\n</Location>\n";
    refused('the authorization endpoint without mod_session', "$bare$dbd$ours$good$authz",
        qr/SetHandler oidc-idp-authorize \(\S+case\d+\.conf:\d+\) needs mod_session and mod_session_cookie/);
    refused('the logout endpoint without a session store', "$bare" . "LoadModule session_module $mods/mod_session.so\n"
        . "$dbd$ours$good<Location /logout>\nSetHandler oidc-idp-logout\n</Location>\n",
        qr/SetHandler oidc-idp-logout \(\S+case\d+\.conf:\d+\) needs mod_session and mod_session_cookie/);
    accepted('the token endpoint needs no session', "$bare$dbd$ours$good<Location /token>\nSetHandler oidc-idp-token\n</Location>\n");
    accepted('the authorization endpoint with mod_session and mod_session_cookie', "$modules$dbd$ours$good$authz");
}

# where users come from (OIDCIdPAuthnProvider, OIDCIdPClaim)
my $authn = "LoadModule authn_core_module $mods/mod_authn_core.so\n"
    . "LoadModule authn_file_module $mods/mod_authn_file.so\n";
refused('an unknown authn provider', "$modules$dbd$ours$good$authn"
    . "<Location /authorize>\nOIDCIdPAuthnProvider file nosuch\n</Location>\n",
    qr/OIDCIdPAuthnProvider: unknown authn provider 'nosuch'/);
refused('a provider whose module is not loaded (ldap)', "$modules$dbd$ours$good"
    . "<Location /authorize>\nOIDCIdPAuthnProvider ldap\n</Location>\n",
    qr/OIDCIdPAuthnProvider: unknown authn provider 'ldap'/);
refused('a provider named twice', "$modules$dbd$ours$good$authn"
    . "<Location /authorize>\nOIDCIdPAuthnProvider file local file\n</Location>\n",
    qr/OIDCIdPAuthnProvider: provider 'file' named twice/);
refused('a claim expression that does not parse', "$modules$dbd$ours$good"
    . "<Location /authorize>\nOIDCIdPClaim email \"%{reqenv:AUTHENTICATE_MAIL\"\n</Location>\n",
    qr/OIDCIdPClaim: cannot parse the expression of 'email'/);
refused('a claim that is not of the profile', "$modules$dbd$ours$good"
    . "<Location /authorize>\nOIDCIdPClaim sub %{REMOTE_USER}\n</Location>\n",
    qr/OIDCIdPClaim: 'sub' is not a claim/);
refused('preferred_username (the name signed in with)', "$modules$dbd$ours$good"
    . "<Location /authorize>\nOIDCIdPClaim preferred_username %{REMOTE_USER}\n</Location>\n",
    qr/OIDCIdPClaim: 'preferred_username' is not a claim/);
refused('a claim mapped twice', "$modules$dbd$ours$good"
    . "<Location /authorize>\nOIDCIdPClaim email a\nOIDCIdPClaim email b\n</Location>\n",
    qr/OIDCIdPClaim: claim 'email' mapped twice/);
refused('OIDCIdPUpstreamAuth neither Off, On nor Optional', "$modules$dbd$ours$good"
    . "<Location /authorize>\nOIDCIdPUpstreamAuth Required\n</Location>\n",
    qr/OIDCIdPUpstreamAuth: 'Required' is not Off, On or Optional/);

# ---------------------------------------------------------- accepted
accepted('minimal: issuer and an RSA key', "$modules$dbd$ours$good");
accepted('http issuer on localhost', "$modules$dbd$ours" . "OIDCIdPIssuer http://localhost:8080\nOIDCIdPSigningKey $K/main-rsa.pem\n");
accepted('http issuer on 127.0.0.1', "$modules$dbd$ours" . "OIDCIdPIssuer http://127.0.0.1:8080\nOIDCIdPSigningKey $K/main-rsa.pem\n");
accepted('issuer with a path', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com/tenant\nOIDCIdPSigningKey $K/main-rsa.pem\n");
accepted('RSA and EC keys, several lines', "$modules$dbd$ours$good" . "OIDCIdPSigningKey $K/main-ec.pem\nOIDCIdPSigningKey $K/spare-ec.pem\n");
accepted('EC first, RSA second', "$modules$dbd$ours" . "OIDCIdPIssuer https://idp.example.com\nOIDCIdPSigningKey $K/main-ec.pem $K/main-rsa.pem\n");
accepted('every lifetime with units', "$modules$dbd$ours$good"
    . "OIDCIdPAccessTokenLifetime 90s\nOIDCIdPIDTokenLifetime 15m\nOIDCIdPRefreshTokenLifetime 30d\nOIDCIdPCodeLifetime 10m\n");
accepted('lifetimes at their limits', "$modules$dbd$ours$good"
    . "OIDCIdPAccessTokenLifetime 1\nOIDCIdPRefreshTokenLifetime 365d\nOIDCIdPCodeLifetime 600\n");
accepted('audience, endpoints, body limit', "$modules$dbd$ours$good"
    . "OIDCIdPAccessTokenAudience https://api.example.com\nOIDCIdPEndpoint Token /t\n"
    . "OIDCIdPEndpoint jwks https://cdn.example.com/jwks.json\nOIDCIdPMaxRequestBody 1024\n");
accepted('a vhost with its own issuer and keys', "$modules$dbd$ours$good<VirtualHost *:9>\n"
    . "OIDCIdPIssuer https://other.example.com\nOIDCIdPSigningKey $K/override-rsa.pem\n</VirtualHost>\n");
accepted('the endpoint mapping of conf/', "$modules$dbd$ours$good" . "Include $top/conf/oidc_idp-endpoints.conf\n");
accepted('the module loaded but unused', "$modules$ours");
accepted('purge interval Off, 30s, 1d', "$modules$dbd$ours$good" . "OIDCIdPPurgeInterval Off\nOIDCIdPPurgeInterval 30s\nOIDCIdPPurgeInterval 1d\n");
accepted('endpoints in the main server, the issuer in a virtual host', "$modules$dbd$ours"
    . "Include $top/conf/oidc_idp-endpoints.conf\n<VirtualHost *:9>\n$good</VirtualHost>\n");
accepted('authn providers and claims', "$modules$dbd$ours$good$authn"
    . "<AuthnProviderAlias file staff>\nAuthUserFile $dir/staff\n</AuthnProviderAlias>\n"
    . "<Location /authorize>\nOIDCIdPAuthnProvider staff file local\nAuthUserFile $dir/users\n"
    . "OIDCIdPClaim email \"%{REMOTE_USER}\@example.com\"\nOIDCIdPClaim displayName %{reqenv:AUTHENTICATE_CN}\n"
    . "OIDCIdPClaim groups %{reqenv:AUTHENTICATE_MEMBEROF}\nOIDCIdPClaim email_verified true\n</Location>\n");

done_testing();
