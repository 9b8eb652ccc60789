-- 2: index on oidp_grant_revoked (revoked_at)
-- Schema version 1 to 2: purge's deletion of old revoked grants no longer
-- scans their table. (The token table gets no index for the admin tool's
-- rare deletions by client or user: every token issued would pay for it.)
CREATE INDEX IF NOT EXISTS oidp_grant_revoked_at ON oidp_grant_revoked (revoked_at);
