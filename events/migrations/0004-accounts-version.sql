-- Migration 4: a counter that changes whenever accounts, authorisations or
-- sessions (ended, removed) do, so that the daemon's account and session
-- caches are refreshed only then (sqlite's data_version changes on every
-- commit, incidents included).
CREATE TABLE accounts_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO accounts_version (id, version) VALUES (1, 0);
CREATE TRIGGER user_insert_version AFTER INSERT ON user
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_update_version AFTER UPDATE ON user
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_delete_version AFTER DELETE ON user
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER authorisation_insert_version AFTER INSERT ON authorisation
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER authorisation_update_version AFTER UPDATE ON authorisation
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER authorisation_delete_version AFTER DELETE ON authorisation
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER session_update_version AFTER UPDATE ON session
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER session_delete_version AFTER DELETE ON session
BEGIN UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;
