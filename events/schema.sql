-- uitkijk's database: the current schema, as one file.
--
-- This file documents the schema a fresh database ends up with. The daemon
-- never runs it: it applies events/migrations/*.sql in order (forward only),
-- and tests/test-schema.c checks that migrating an empty database yields
-- exactly this schema. Change both together: add a migration, then edit this.
--
-- Units are in the names: *_90k are wall-clock instants or durations in
-- 90 kHz ticks (instants since the Unix epoch, UTC). Paths are relative to
-- [storage] path and never contain "..".

-- Which migrations have run: one row, version = number of the last one.
CREATE TABLE version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  applied_90k INTEGER NOT NULL
);

-- A run: one unbroken connection to a camera, from its first keyframe.
CREATE TABLE run (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start_90k INTEGER NOT NULL,
  end_90k INTEGER,   -- NULL while the run goes on
  end_reason TEXT
);
CREATE INDEX run_camera_start ON run (camera, start_90k);

-- A recording: one segment file. Its row says 'complete' only after the file's
-- data was fsynced; a 'writing' row (or a file with no row) after a crash is
-- recovered from the file itself at start-up.
CREATE TABLE recording (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES run (id),
  path TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('writing', 'complete')),
  start_90k INTEGER NOT NULL,    -- wall time of the first frame
  end_90k INTEGER,               -- wall time at which the last frame ends
  media_duration_90k INTEGER,    -- camera clock: sum of frame durations
  frames INTEGER,
  bytes INTEGER,                 -- file size
  codec TEXT NOT NULL CHECK (codec IN ('h264', 'h265')),
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  video_index BLOB               -- per-frame sizes, durations, key flags, wall times
);
CREATE INDEX recording_camera_start ON recording (camera, start_90k);

-- A gap: a time a camera was not recorded, and why. Never hidden.
CREATE TABLE gap (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start_90k INTEGER NOT NULL,
  end_90k INTEGER,               -- NULL while the outage lasts
  reason TEXT NOT NULL
);
CREATE INDEX gap_camera_start ON gap (camera, start_90k);

-- Files to unlink: a deletion first moves the path here (in the transaction
-- that removes the recording row), then unlinks the file and fsyncs the
-- folder, then removes this row. A crash in between is finished at start-up.
CREATE TABLE garbage (
  path TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  added_90k INTEGER NOT NULL
);

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
