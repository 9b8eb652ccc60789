-- 6: oidp_user.source (users signed in by an Apache authn provider), unique (source, username)
-- Schema version 5 to 6: a user row records where its password is checked:
-- '' for this table's own bcrypt hash (every existing row), otherwise the
-- name of the OIDCIdPAuthnProvider that signed the user in (the row, and so
-- the subject, is created at the first sign-in). A username is unique per
-- source. SQLite cannot change a UNIQUE constraint: the table is rebuilt
-- (rows copied aside, the table created as conf/schema.sqlite3.sql has it,
-- the rows copied back with source ''). No other table references it.
CREATE TABLE oidp_user_v5 AS SELECT * FROM oidp_user;
DROP TABLE oidp_user;
CREATE TABLE IF NOT EXISTS oidp_user (
    id                    TEXT PRIMARY KEY,     -- the OIDC subject (UUID)
    username              TEXT NOT NULL,        -- the sign-in name, unique per source
    password_hash         TEXT,                 -- bcrypt
    name                  TEXT,
    given_name            TEXT,
    family_name           TEXT,
    email                 TEXT,
    email_verified        INTEGER NOT NULL DEFAULT 0,
    phone_number          TEXT,
    phone_number_verified INTEGER NOT NULL DEFAULT 0,
    address_formatted     TEXT,
    address_street        TEXT,
    address_locality      TEXT,
    address_region        TEXT,
    address_postal_code   TEXT,
    address_country       TEXT,
    picture               TEXT,
    locale                TEXT,
    groups                TEXT,                 -- JSON array of strings
    disabled              INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    source                TEXT NOT NULL DEFAULT '',  -- '': this table's password; else the
                                                     -- OIDCIdPAuthnProvider that signed the user in
    UNIQUE (source, username)
);
INSERT INTO oidp_user (id, username, password_hash, name, given_name, family_name, email, email_verified,
    phone_number, phone_number_verified, address_formatted, address_street, address_locality,
    address_region, address_postal_code, address_country, picture, locale, groups, disabled,
    created_at, updated_at, source)
    SELECT id, username, password_hash, name, given_name, family_name, email, email_verified,
    phone_number, phone_number_verified, address_formatted, address_street, address_locality,
    address_region, address_postal_code, address_country, picture, locale, groups, disabled,
    created_at, updated_at, '' FROM oidp_user_v5;
DROP TABLE oidp_user_v5;
