# OIDCIdPLoginTemplate: the oidp_partial vhost replaces the login page with
# tests/conf/login-template.html. Every placeholder is filled (text
# HTML-escaped, the CSP nonce matching the header), the page keeps the
# module's headers, and a person signs in through it; the other servers
# keep the built-in page.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

# the virtual hosts' own databases get this file's clients and users too
mirror('oidp_partial');

my $V = 'oidp_partial';
my $ISS = 'http://localhost:' . Apache::Test::config()->{vars}->{"${V}_port"};
my $RP = 'https://rp.example.test/cb';
my $m = marker();
my $uname = unique_id('tpl-u');
user_add($uname, password => 'template-pw');
my $id = unique_id('tpl-client');
client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1,
           name => "Acme <Wiki> $m");
my @P = (response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid', state => 'tpl');

my $b = browser();
my $res = get(query_path('/authorize', @P, login_hint => "\"><b>$m"), ua => $b, vhost => $V);
is($res->code, 200, 'the replaced login page: 200');
my $html = $res->decoded_content;
like($html, qr/CUSTOM-LOGIN-TEMPLATE/, 'the template file is what is served');
like($html, qr/Acme sign-in for Acme &lt;Wiki&gt; \Q$m\E/, '{{client_name}}: the display name, escaped');
like($html, qr/value="&quot;&gt;&lt;b&gt;\Q$m\E"/, '{{username}}: login_hint prefilled and escaped');
unlike($html, qr/<b>\Q$m\E/, 'no markup from the request');
like($html, qr/<p id="iss">\Q$ISS\E<\/p>/, '{{issuer}}');
like($html, qr/<p id="host">localhost:\d+<\/p>/, '{{host}}');
like($html, qr/<input type="hidden" name="oidp_csrf" value="[^"]+">/, '{{hidden_fields}}: the CSRF token');
like($html, qr/<input type="hidden" name="state" value="tpl">/, '{{hidden_fields}}: the request');
like($html, qr/type="password" autofocus>/, 'a known username: the password field has the focus');
unlike($html, qr/\{\{/, 'no placeholder left');
my ($nonce) = $html =~ /<style nonce="([^"]+)">/;
ok($nonce, '{{nonce}} on the style element');
my $csp = $res->header('Content-Security-Policy') // '';
like($csp, qr/style-src 'nonce-\Q$nonce\E'/, 'the nonce is the one of the CSP header');
like($csp, qr/frame-ancestors 'none'/, 'the module still sends its CSP');
like($res->header('Cache-Control') // '', qr/no-store/, 'and no-store');

# a person signs in through the replaced page
my $a = authorize(browser(), vhost => $V, path => '/authorize', params => \@P, user => [$uname, 'template-pw']);
is_deeply($a->{pages}, ['login', 'redirect'], 'signing in through the replaced page: login, then the code');
is($a->{cb} && $a->{cb}->{params}->{iss}, $ISS, "the code comes from the vhost's issuer");
ok($a->{cb} && $a->{cb}->{params}->{code}, 'a code');

# a wrong password: the template shows the error
$a = authorize(browser(), vhost => $V, path => '/authorize', params => \@P, user => [$uname, 'wrong']);
my $page = $a->{res}->decoded_content;
like($page, qr/<p id="err">Incorrect username or password\.<\/p>/, '{{error}} after a wrong password');
like($page, qr/<p class="error" role="alert">Incorrect username or password\.<\/p>/, '{{error_html}}');

# the main server keeps the built-in page
$res = get(query_path('/authorize', @P), ua => browser());
unlike($res->decoded_content, qr/CUSTOM-LOGIN-TEMPLATE/, 'the main server keeps the built-in login page');

done_testing();
