# Issue 8 (trust): what a failed sign-in writes to the error_log. A name
# that is no user's is not logged as typed (it is often a password typed in
# the wrong field); a known user's failure names the user.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use OIDP::Test;

my $RP = 'https://rp.example.test/cb';
my $uname = unique_id('ll-u');
my $PW = 'login-log-pw';
user_add($uname, password => $PW);
my $id = unique_id('ll-a');
client_add($id, grant_types => 'authorization_code', redirect_uris => [$RP], first_party => 1);
my @P = (response_type => 'code', client_id => $id, redirect_uri => $RP, scope => 'openid', state => 's');

my $off = log_offset();
my $typed = 'Pw-' . marker();    # a password typed into the username field
my $a = authorize(browser(), params => \@P, user => [$typed, 'whatever']);
is($a->{pages}->[-1], 'login', 'an unknown user: the login page again');
$a = authorize(browser(), params => \@P, user => [$uname, 'wrong-' . marker()]);
is($a->{pages}->[-1], 'login', 'a wrong password: the login page again');
my $log = log_since($off);
unlike($log, qr/\Q$typed\E/, 'the unknown name is nowhere in the error_log');
like($log, qr/OIDP00151: sign-in failed for an unknown user/, 'the failure of an unknown user is logged');
like($log, qr/OIDP00014: sign-in failed for user '\Q$uname\E' \(wrong password\)/, "a known user's failure names the user");

done_testing;
