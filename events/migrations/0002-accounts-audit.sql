-- Migration 2: accounts, the authorisation register, sessions and the audit log.

-- A person who may use the console. Deny by default: a user reaches an area
-- only through a valid row in authorisation.
CREATE TABLE user (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'police', 'handhaving', 'privacy', 'admin')),
  password_hash TEXT NOT NULL,   -- argon2id (libsodium crypto_pwhash_str)
  disabled INTEGER NOT NULL DEFAULT 0,
  valid_until_90k INTEGER,       -- the account ends; NULL: no end
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until_90k INTEGER NOT NULL DEFAULT 0,
  created_90k INTEGER NOT NULL
);

-- The register of authorisations (Wpg art. 6): user x area, time-limited.
CREATE TABLE authorisation (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES user (id),
  area TEXT NOT NULL,
  valid_from_90k INTEGER NOT NULL,
  valid_until_90k INTEGER,       -- NULL: until revoked
  granted_by TEXT NOT NULL,
  revoked_90k INTEGER
);
CREATE INDEX authorisation_user ON authorisation (user_id);

-- Console sessions. Only a hash of the token is kept.
CREATE TABLE session (
  token_hash BLOB PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES user (id),
  created_90k INTEGER NOT NULL,
  expires_90k INTEGER NOT NULL,
  ended_90k INTEGER
);

-- The audit log (Wpg art. 32a): append-only and hash-chained. hash is
-- SHA-256 over prev_hash and the row's content (docs/PROTOCOL.md, "Audit");
-- `uitkijk audit verify` recomputes the chain.
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  time_90k INTEGER NOT NULL,
  actor TEXT NOT NULL,           -- user name, or "system"
  action TEXT NOT NULL,
  camera TEXT,
  area TEXT,
  from_90k INTEGER,
  to_90k INTEGER,
  detail TEXT NOT NULL,          -- JSON object
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE INDEX audit_time ON audit (time_90k);
