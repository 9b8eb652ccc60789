#!/bin/sh
# Writes the manual page oidc-idp-admin(8) from the tool's own --help (so
# that both say the same). Usage: admin-manpage.sh PATH/TO/oidc-idp-admin OUT.8
set -eu
tool=${1:?usage: admin-manpage.sh TOOL OUT}
out=${2:?usage: admin-manpage.sh TOOL OUT}
help=$("$tool" --help)
# roff: backslashes doubled; a line starting with . or ' protected by \&
body=$(printf '%s\n' "$help" | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/")
{
    printf '.TH OIDC-IDP-ADMIN 8 "" "mod_oidc_idp" "System Administration"\n'
    printf '.SH NAME\noidc-idp-admin \\- manage the clients, users and database of mod_oidc_idp\n'
    printf '.SH SYNOPSIS\n.B oidc-idp-admin\n[\\fB\\-\\-db\\fR \\fIDRIVER\\fB:\\fIPARAMS\\fR] [\\fB\\-\\-json\\fR] \\fICOMMAND\\fR ...\n'
    printf '.SH DESCRIPTION\nWhat \\fBoidc\\-idp\\-admin \\-\\-help\\fR prints:\n.PP\n.nf\n'
    printf '%s\n' "$body"
    printf '.fi\n'
    printf '.SH FILES\n.TP\n.I /var/lib/oidc-idp/idp.db\nthe SQLite database of the example site (owned by www-data; run the tool as www-data, e.g. \\fBrunuser \\-u www\\-data \\-\\-\\fR)\n'
    printf '.SH SEE ALSO\n.BR apache2 (8),\n.BR a2enmod (8);\nthe module reference /usr/share/doc/libapache2-mod-oidc-idp/mod_oidc_idp.html\n'
} >"$out"
