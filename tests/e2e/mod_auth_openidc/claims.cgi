#!/usr/bin/python3
# The protected page: prints REMOTE_USER and every OIDC_CLAIM_* variable
# mod_auth_openidc passed, one NAME=VALUE a line, sorted.
import os
import sys

out = ["REMOTE_USER=" + os.environ.get("REMOTE_USER", "")]
for k in sorted(os.environb):
    if k.startswith(b"OIDC_CLAIM_"):
        out.append((k + b"=" + os.environb[k]).decode("utf-8", "backslashreplace"))
body = ("\n".join(out) + "\n").encode("utf-8")
sys.stdout.buffer.write(b"Content-Type: text/plain; charset=utf-8\r\n")
sys.stdout.buffer.write(b"Cache-Control: no-store\r\n\r\n" + body)
