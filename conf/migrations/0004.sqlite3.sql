-- 4: oidp_throttle (failed sign-ins and client authentications, for throttling)
-- Schema version 3 to 4: counters of failed password and client secret
-- attempts per account, client and address, in the database so that every
-- node of a deployment sees them (OIDCIdPThrottle*). Starts empty.
CREATE TABLE IF NOT EXISTS oidp_throttle (
    tkey     TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,         -- failures since the counter was last clear
    last_at  INTEGER NOT NULL          -- time of the last failure
);
-- purge
CREATE INDEX IF NOT EXISTS oidp_throttle_last ON oidp_throttle (last_at);
