# Consent: a client that is not first-party gets a consent page after the
# login (the client's name, the scopes in words, Allow and Deny, CSRF
# token, every request parameter carried); Deny is access_denied to the
# client; a remembered grant is not asked again, a wider one is, and
# prompt=consent always is; prompt=none without consent is
# consent_required; consent is per user; a first-party client skips it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my ($u1, $u2) = (unique_id('cs-u1'), unique_id('cs-u2'));
user_add($u1, password => 'consent-one');
user_add($u2, password => 'consent-two');
my $m = marker();
my $third = unique_id('cs-third');
my $secret = client_add($third, grant_types => 'authorization_code refresh_token', redirect_uris => [$RP],
                        name => "Third <App> $m", first_party => 0);
my $T = [$third, $secret, 'basic'];
my $first = unique_id('cs-first');
my $fsecret = client_add($first, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my $STATE = random_state();

sub params {
    my ($client, $scope, @more) = @_;
    return (response_type => 'code', client_id => $client, redirect_uri => $RP, scope => $scope, state => $STATE,
            nonce => 'n-1', @more);
}

sub granted_scope {
    my ($a, $name) = @_;
    my $code = $a->{cb} && $a->{cb}->{params}->{code};
    ok($code, "$name: a code") or return '';
    my $j = json_of(code_exchange(client => $T, code => $code, redirect_uri => $RP)) || {};
    return $j->{scope} // '';
}

my $b = browser();

# ---------------------------------------------------------- the consent page
my @P = params($third, 'openid email', extra => "<q>$m");
my $a = authorize($b, params => \@P, user => [$u1, 'consent-one']);
is_deeply($a->{pages}, ['login', 'consent'], 'a third-party client: the login page, then the consent page');
my $page = $a->{res};
is($page->code, 200, 'consent page: 200');
like($page->header('Content-Type') // '', qr{^text/html}i, 'consent page: HTML');
like($page->header('Cache-Control') // '', qr/\bno-store\b/, 'consent page: no-store');
like($page->header('Content-Security-Policy') // '', qr/frame-ancestors 'none'/, 'consent page: not frameable');
my $html = $page->decoded_content;
like($html, qr/Third &lt;App&gt; \Q$m\E/, "consent page: the client's name, escaped");
like($html, qr/email address/i, 'consent page: the email scope in words');
like($html, qr/\Q$u1\E/, 'consent page: who is signed in');
unlike($html, qr/<q>/, 'consent page: no markup from a parameter');
my $form = OIDP::Test::consent_form($page);
ok($form, 'consent page: a form with Allow');
is($form->{method}, 'POST', 'consent form: method post');
is($form->{action}, url('/login/oauth/authorize'), 'consent form: posts back to the endpoint');
my %f = map { $_->[0] => $_->[1] } @{ $form->{fields} };
my %sent = @P;
is($f{$_}, $sent{$_}, "consent form: hidden $_") for sort keys %sent;
like($f{oidp_csrf} // '', qr/^[A-Za-z0-9_-]{22,}$/, 'consent form: a CSRF token');
ok(!exists $f{password} && !exists $f{username}, 'consent form: no credentials carried');
my %btn = map { ($_->[0] // '') . '=' . $_->[1] => 1 } @{ $form->{buttons} };
ok($btn{'oidp_action=allow'} && $btn{'oidp_action=deny'}, 'consent form: Allow and Deny buttons');

# a forged answer: wrong CSRF token, or from another browser
{
    my $r = form_submit($b, $form, fill => { oidp_csrf => 'forged' }, button => [oidp_action => 'allow']);
    ok(!authz_response($r, $RP), 'Allow with a wrong CSRF token: nothing sent to the client');
    is(page_kind($r), 'consent', 'Allow with a wrong CSRF token: the consent page again');
    $r = form_submit(browser(), $form, button => [oidp_action => 'allow']);
    ok(!authz_response($r, $RP), 'Allow from another browser: nothing sent to the client');
    is(page_kind($r), 'login', 'Allow from another browser: the login page (not signed in there)');
}

# Deny
{
    my $r = form_submit($b, $form, button => [oidp_action => 'deny']);
    authz_error_ok($r, $RP, 'access_denied', $STATE, 'Deny');
    my $again = authorize($b, params => \@P);
    is_deeply($again->{pages}, ['consent'], 'after Deny the consent page is asked again (signed in)');
}

# Allow, then remembered
$a = authorize($b, params => \@P, consent => 'allow');
is_deeply($a->{pages}, ['consent', 'redirect'], 'Allow: a code');
is(granted_scope($a, 'Allow'), 'openid email', 'Allow: the requested scope is granted');
$a = authorize($b, params => \@P);
is_deeply($a->{pages}, ['redirect'], 'the same request again: no consent page');
is(granted_scope($a, 'remembered'), 'openid email', 'remembered: the same scope');
$a = authorize($b, params => [params($third, 'openid')]);
is_deeply($a->{pages}, ['redirect'], 'a narrower scope: no consent page');
$a = authorize($b, params => [params($third, 'openid email', prompt => 'none')]);
is_deeply($a->{pages}, ['redirect'], 'prompt=none with consent given: no UI');
ok($a->{cb} && $a->{cb}->{params}->{code}, 'prompt=none with consent given: a code');

# a wider scope asks again, for the new scope
$a = authorize($b, params => [params($third, 'openid email phone', prompt => 'none')]);
authz_error_ok($a->{res}, $RP, 'consent_required', $STATE, 'prompt=none with a wider scope');
$a = authorize($b, params => [params($third, 'openid email phone')]);
is_deeply($a->{pages}, ['consent'], 'a wider scope: the consent page');
like($a->{res}->decoded_content, qr/phone number/i, 'a wider scope: the new scope in words');
$a = authorize($b, params => [params($third, 'openid email phone')], consent => 'allow');
is(granted_scope($a, 'wider scope allowed'), 'openid email phone', 'a wider scope allowed');
$a = authorize($b, params => [params($third, 'openid phone')]);
is_deeply($a->{pages}, ['redirect'], 'remembered: every scope allowed so far');

# a claims request implies the scope of the claim
$a = authorize($b, params => [params($third, 'openid', claims => '{"userinfo":{"address":null}}')]);
is_deeply($a->{pages}, ['consent'], 'a claims request for address: consent for address');

# prompt=consent asks even when remembered
$a = authorize($b, params => [params($third, 'openid email', prompt => 'consent')]);
is_deeply($a->{pages}, ['consent'], 'prompt=consent: the consent page though remembered');
$a = authorize($b, params => [params($third, 'openid email', prompt => 'consent')], consent => 'deny');
authz_error_ok($a->{res}, $RP, 'access_denied', $STATE, 'prompt=consent, then Deny');

# remembered across sessions: signed out, signed in again, not asked again
{
    my $r = get('/logout', ua => $b);
    my ($f) = grep { grep { ($_->[0] // '') eq 'oidp_action' && $_->[1] eq 'logout' } @{ $_->{buttons} } }
        @{ html_forms($r) };
    $r = form_submit($b, $f, button => [oidp_action => 'logout']) if $f;
    my $again = authorize($b, params => \@P, user => [$u1, 'consent-one']);
    is_deeply($again->{pages}, ['login', 'redirect'], 'signed out and in again: the login page, no consent page');
}

# consent is per user
{
    my $b2 = browser();
    my $r = authorize($b2, params => \@P, user => [$u2, 'consent-two']);
    is_deeply($r->{pages}, ['login', 'consent'], "another user: their own consent page");
}

# ---------------------------------------------------------- first-party
{
    my $b3 = browser();
    my $r = authorize($b3, params => [params($first, 'openid email phone')], user => [$u2, 'consent-two']);
    is_deeply($r->{pages}, ['login', 'redirect'], 'a first-party client: no consent page');
    $r = authorize($b3, params => [params($first, 'openid email phone', prompt => 'none')]);
    ok($r->{cb} && $r->{cb}->{params}->{code}, 'a first-party client, prompt=none: a code');
    $r = authorize($b3, params => [params($first, 'openid', prompt => 'consent')]);
    is_deeply($r->{pages}, ['consent'], 'a first-party client with prompt=consent: the consent page');
}

done_testing;
