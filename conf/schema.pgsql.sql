-- mod_oidc_idp schema for PostgreSQL (DBDriver pgsql).
-- Created by `oidc-idp-admin init`; schema version 6 (OIDP_SCHEMA_VERSION in
-- include/core/oidp_schema.h). A change to this file is a new version: bump
-- schema_version below and OIDP_SCHEMA_VERSION, and add
-- conf/migrations/NNNN.<driver>.sql taking the previous version to it
-- (`oidc-idp-admin migrate`). Times are integer seconds since the epoch.
-- Client secrets, codes and tokens are stored only as SHA-256 hex digests;
-- user passwords as bcrypt. Keep in step with schema.sqlite3.sql.

CREATE TABLE IF NOT EXISTS oidp_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO oidp_meta (name, value) VALUES ('schema_version', '6') ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS oidp_client (
    client_id     TEXT PRIMARY KEY,
    secret_hash   TEXT,                 -- NULL for public clients
    auth_method   TEXT NOT NULL,        -- client_secret_basic | client_secret_post | none
    grant_types   TEXT NOT NULL,        -- space-separated
    scopes        TEXT NOT NULL,        -- space-separated scopes the client may get
    display_name  TEXT,
    claim_dialect TEXT NOT NULL DEFAULT 'standard',  -- standard | casdoor
    first_party   BIGINT NOT NULL DEFAULT 0,        -- 1: no consent screen
    id_token_alg  TEXT,                 -- NULL: the first signing key's alg
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    auth_method_pinned BIGINT NOT NULL DEFAULT 0  -- 1: only auth_method; 0: Basic or the body for a secret
);

CREATE TABLE IF NOT EXISTS oidp_client_uri (
    client_id TEXT NOT NULL REFERENCES oidp_client (client_id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,            -- redirect | post_logout
    uri       TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, uri)
);

CREATE TABLE IF NOT EXISTS oidp_user (
    id                    TEXT PRIMARY KEY,     -- the OIDC subject (UUID)
    username              TEXT NOT NULL,        -- the sign-in name, unique per source
    password_hash         TEXT,                 -- bcrypt
    name                  TEXT,
    given_name            TEXT,
    family_name           TEXT,
    email                 TEXT,
    email_verified        BIGINT NOT NULL DEFAULT 0,
    phone_number          TEXT,
    phone_number_verified BIGINT NOT NULL DEFAULT 0,
    address_formatted     TEXT,
    address_street        TEXT,
    address_locality      TEXT,
    address_region        TEXT,
    address_postal_code   TEXT,
    address_country       TEXT,
    picture               TEXT,
    locale                TEXT,
    groups                TEXT,                 -- JSON array of strings
    disabled              BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    source                TEXT NOT NULL DEFAULT '',  -- '': this table's password; else the
                                                     -- OIDCIdPAuthnProvider that signed the user in
    UNIQUE (source, username)
);

CREATE TABLE IF NOT EXISTS oidp_code (
    code_hash             TEXT PRIMARY KEY,
    issuer                TEXT NOT NULL,
    client_id             TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    nonce                 TEXT,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    claims                TEXT,
    auth_time             BIGINT NOT NULL,
    sid                   TEXT,
    grant_id              TEXT NOT NULL,
    used                  BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL,
    amr                   TEXT,                 -- how the user authenticated (RFC 8176, space-separated)
    acr                   TEXT
);
CREATE INDEX IF NOT EXISTS oidp_code_expires ON oidp_code (expires_at);

CREATE TABLE IF NOT EXISTS oidp_token (
    token_hash TEXT PRIMARY KEY,
    issuer     TEXT NOT NULL,           -- the issuer (virtual host) that issued it
    audience   TEXT,                    -- aud of an access token
    kind       TEXT NOT NULL,           -- access | refresh
    client_id  TEXT NOT NULL,
    user_id    TEXT,                    -- NULL for client_credentials
    scope      TEXT NOT NULL,
    jti        TEXT,
    grant_id   TEXT,                    -- all tokens of one grant, revoked together
    sid        TEXT,
    claims     TEXT,                    -- the claims request (OIDC Core 5.5) for userinfo
    auth_time  BIGINT,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked    BIGINT NOT NULL DEFAULT 0,
    amr        TEXT,                    -- of the grant: how the user authenticated
    acr        TEXT
);
CREATE INDEX IF NOT EXISTS oidp_token_grant ON oidp_token (grant_id);
CREATE INDEX IF NOT EXISTS oidp_token_expires ON oidp_token (expires_at);
-- deleting a client's or a user's tokens (oidc-idp-admin client/user remove)

-- Grants revoked as a whole (a replayed code or refresh token): a token of
-- such a grant is dead even if it was stored after the revocation (a
-- redemption racing its replay).
CREATE TABLE IF NOT EXISTS oidp_grant_revoked (
    grant_id   TEXT PRIMARY KEY,
    revoked_at BIGINT NOT NULL
);
-- purge
CREATE INDEX IF NOT EXISTS oidp_grant_revoked_at ON oidp_grant_revoked (revoked_at);

CREATE TABLE IF NOT EXISTS oidp_session (
    sid        TEXT PRIMARY KEY,
    issuer     TEXT NOT NULL,           -- a login at one issuer is not one at another
    user_id    TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended      BIGINT NOT NULL DEFAULT 0,
    amr        TEXT,                    -- RFC 8176 values, space-separated ("pwd", "otp mfa pwd")
    acr        TEXT
);
CREATE INDEX IF NOT EXISTS oidp_session_expires ON oidp_session (expires_at);

CREATE TABLE IF NOT EXISTS oidp_consent (
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- Failed sign-ins and client authentications (src/core/throttle.c): one row
-- per key, a kind and a SHA-256 digest of the account, client_id or client
-- address (never the value as typed). Shared by every node of a deployment.
CREATE TABLE IF NOT EXISTS oidp_throttle (
    tkey     TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,         -- failures since the counter was last clear
    last_at  BIGINT NOT NULL          -- time of the last failure
);
-- purge
CREATE INDEX IF NOT EXISTS oidp_throttle_last ON oidp_throttle (last_at);
