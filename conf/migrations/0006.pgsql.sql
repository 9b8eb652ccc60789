-- 6: oidp_user.source (users signed in by an Apache authn provider), unique (source, username)
-- Schema version 5 to 6: a user row records where its password is checked:
-- '' for this table's own bcrypt hash (every existing row), otherwise the
-- name of the OIDCIdPAuthnProvider that signed the user in (the row, and so
-- the subject, is created at the first sign-in). A username is unique per
-- source: "alice" in LDAP and "alice" in an htpasswd file are two users.
ALTER TABLE oidp_user ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE oidp_user DROP CONSTRAINT oidp_user_username_key;
ALTER TABLE oidp_user ADD CONSTRAINT oidp_user_source_username_key UNIQUE (source, username);
