-- An SQL users table of another application, for mod_authn_dbd
-- (tests/720-authn-providers.t, AuthDBDUserPWQuery in tests/conf/authn.conf.in).
-- tests/suite.sh loads it into the run's database before httpd starts:
-- mod_dbd prepares the query on every new connection. Passwords: dave
-- dbd-Pass-1, zoe dbd-Pass-2 (bcrypt, htpasswd -nbB).
CREATE TABLE authn_users (
    name     TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    mail     TEXT,
    fullname TEXT
);
INSERT INTO authn_users (name, password, mail, fullname)
    VALUES ('dave', '$2y$05$vP9FR83MF9vPtRgWN/NFzOQHO6CJQ4znlVtmD7rhxd8whVCD5ouKm', 'dave@example.test', 'Dave Dbd');
INSERT INTO authn_users (name, password, mail, fullname)
    VALUES ('zoe', '$2y$05$JZs3pwAAHs9t0uZ65MU.eeDUNKlUvs9g.3i9GFgptzgk0x0sjeJvy', 'zoe@example.test', 'Zoë Ødegård');
