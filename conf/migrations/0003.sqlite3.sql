-- 3: oidp_client.auth_method_pinned (a client with a secret may use Basic or the body unless pinned)
-- Schema version 2 to 3: RFC 6749 2.3.1 lets a client with a secret send it
-- with HTTP Basic or in the body; a client that must use only its
-- registered method is pinned (oidc-idp-admin client ... --pin-auth-method).
-- Existing clients are not pinned.
ALTER TABLE oidp_client ADD COLUMN auth_method_pinned INTEGER NOT NULL DEFAULT 0;
