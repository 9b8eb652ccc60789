-- 5: amr and acr on sessions, codes and tokens (how the user authenticated, for the ID token)
-- Schema version 4 to 5: a session records how its user authenticated
-- (RFC 8176 amr values, the acr reached); codes and tokens carry it to the
-- ID tokens of their grant. Existing rows have none (their ID tokens carry
-- no amr/acr, as before).
ALTER TABLE oidp_session ADD COLUMN amr TEXT;
ALTER TABLE oidp_session ADD COLUMN acr TEXT;
ALTER TABLE oidp_code ADD COLUMN amr TEXT;
ALTER TABLE oidp_code ADD COLUMN acr TEXT;
ALTER TABLE oidp_token ADD COLUMN amr TEXT;
ALTER TABLE oidp_token ADD COLUMN acr TEXT;
