-- 2: indexes on oidp_token (client_id), oidp_token (user_id) and oidp_grant_revoked (revoked_at)
-- Schema version 1 to 2: the admin tool's deletion of a client's or a user's
-- tokens and purge's deletion of old revoked grants no longer scan their table.
CREATE INDEX IF NOT EXISTS oidp_token_client ON oidp_token (client_id);
CREATE INDEX IF NOT EXISTS oidp_token_user ON oidp_token (user_id);
CREATE INDEX IF NOT EXISTS oidp_grant_revoked_at ON oidp_grant_revoked (revoked_at);
