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
  revoked_90k INTEGER,
  video INTEGER NOT NULL DEFAULT 0 -- handhaving: may play back the area's recordings
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

-- Changes whenever accounts, authorisations or sessions (ended, removed) do:
-- the daemon's account and session caches are refreshed only then.
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

-- The incident log. Append-only: corrections are rows in incident_change;
-- triggers refuse UPDATE always and DELETE unless retention opened the gate.
CREATE TABLE incident (
  id INTEGER PRIMARY KEY,
  area TEXT NOT NULL,
  camera TEXT NOT NULL,          -- the main camera
  cameras TEXT NOT NULL,         -- JSON array of every camera involved, the main one first
  position_90k INTEGER NOT NULL, -- the instant the operator was looking at (wall clock)
  source TEXT NOT NULL CHECK (source IN ('live', 'playback')),
  frame_90k INTEGER,             -- wall time of the recorded frame on screen then; NULL: not recorded
  frame_path TEXT,               -- that frame's segment file (relative) ...
  frame_pts_90k INTEGER,         -- ... and its presentation time in it
  category TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  description TEXT NOT NULL,
  actions TEXT NOT NULL,         -- JSON array of the actions taken
  created_90k INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX incident_area_created ON incident (area, created_90k);
CREATE INDEX incident_camera_position ON incident (camera, position_90k);

-- Amendments and status changes: who, when, what. Append-only too.
CREATE TABLE incident_change (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  time_90k INTEGER NOT NULL,
  author TEXT NOT NULL,
  field TEXT NOT NULL CHECK (field IN ('status', 'description', 'category', 'severity', 'actions', 'note')),
  value TEXT NOT NULL,           -- JSON: a string, or for actions an array
  note TEXT                      -- why
);
CREATE INDEX incident_change_incident ON incident_change (incident_id, field, id);

-- Each incident as it reads now: the latest change of each field, or the original.
CREATE VIEW incident_now AS
SELECT i.id, i.area, i.camera, i.cameras, i.position_90k, i.source, i.frame_90k, i.frame_path,
       i.frame_pts_90k, i.created_90k, i.created_by,
       coalesce((SELECT json_extract(c.value, '$') FROM incident_change c WHERE c.incident_id = i.id AND c.field = 'status' ORDER BY c.id DESC LIMIT 1), 'open') AS status,
       coalesce((SELECT json_extract(c.value, '$') FROM incident_change c WHERE c.incident_id = i.id AND c.field = 'category' ORDER BY c.id DESC LIMIT 1), i.category) AS category,
       coalesce((SELECT json_extract(c.value, '$') FROM incident_change c WHERE c.incident_id = i.id AND c.field = 'severity' ORDER BY c.id DESC LIMIT 1), i.severity) AS severity,
       coalesce((SELECT json_extract(c.value, '$') FROM incident_change c WHERE c.incident_id = i.id AND c.field = 'description' ORDER BY c.id DESC LIMIT 1), i.description) AS description,
       coalesce((SELECT c.value FROM incident_change c WHERE c.incident_id = i.id AND c.field = 'actions' ORDER BY c.id DESC LIMIT 1), i.actions) AS actions,
       (SELECT count(*) FROM incident_change c WHERE c.incident_id = i.id) AS changes
FROM incident i;

-- Full-text search over descriptions, amendments and notes (an index, not the record).
CREATE VIRTUAL TABLE incident_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE retention_gate (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  open INTEGER NOT NULL
);
INSERT INTO retention_gate (id, open) VALUES (1, 0);

CREATE TRIGGER incident_no_update BEFORE UPDATE ON incident
BEGIN SELECT RAISE (ABORT, 'incidents are append-only: amend them'); END;
CREATE TRIGGER incident_change_no_update BEFORE UPDATE ON incident_change
BEGIN SELECT RAISE (ABORT, 'incident changes are append-only'); END;
CREATE TRIGGER incident_no_delete BEFORE DELETE ON incident
WHEN (SELECT open FROM retention_gate WHERE id = 1) = 0
BEGIN SELECT RAISE (ABORT, 'incidents are deleted only by retention'); END;
CREATE TRIGGER incident_change_no_delete BEFORE DELETE ON incident_change
WHEN (SELECT open FROM retention_gate WHERE id = 1) = 0
BEGIN SELECT RAISE (ABORT, 'incident changes are deleted only by retention'); END;

-- Watch plans: station shifts and events (cameras, operators, a window).
CREATE TABLE watch_plan (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('shift', 'event')),
  name TEXT NOT NULL,
  start_90k INTEGER NOT NULL,
  end_90k INTEGER NOT NULL CHECK (end_90k > start_90k),
  note TEXT,
  created_by TEXT NOT NULL,
  created_90k INTEGER NOT NULL,
  cancelled_90k INTEGER,
  cancelled_by TEXT
);
CREATE INDEX watch_plan_end ON watch_plan (end_90k);
CREATE TABLE watch_plan_camera (
  plan_id INTEGER NOT NULL REFERENCES watch_plan (id),
  camera TEXT NOT NULL,
  area TEXT NOT NULL,
  must_watch INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (plan_id, camera)
);
CREATE TABLE watch_plan_operator (
  plan_id INTEGER NOT NULL REFERENCES watch_plan (id),
  user TEXT NOT NULL,
  PRIMARY KEY (plan_id, user)
);

-- The legal rules: designations, veiligheidsrisicogebieden, evidence holds.
CREATE TABLE designation (
  id TEXT PRIMARY KEY,
  area TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('standing', 'event')),
  decision TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  valid_from_90k INTEGER NOT NULL,
  valid_until_90k INTEGER NOT NULL CHECK (valid_until_90k > valid_from_90k),
  live_watch TEXT,               -- windows, as in the config file (config/uk-windows.h)
  dpia TEXT,                     -- DPIA reference; without it the designation cannot be active
  signage INTEGER NOT NULL DEFAULT 0,
  withdrawn_90k INTEGER,
  withdrawn_by TEXT,
  source TEXT NOT NULL CHECK (source IN ('config', 'console')),
  changed_90k INTEGER NOT NULL,
  changed_by TEXT NOT NULL,
  withdraw_reason TEXT
);
CREATE INDEX designation_area ON designation (area);

CREATE TABLE risk_area (
  id TEXT PRIMARY KEY,
  area TEXT NOT NULL,
  decision TEXT NOT NULL,
  prosecutor TEXT NOT NULL,      -- the officier van justitie consulted
  valid_from_90k INTEGER NOT NULL,
  valid_until_90k INTEGER NOT NULL CHECK (valid_until_90k > valid_from_90k)
);

CREATE TABLE evidence_hold (
  id INTEGER PRIMARY KEY,
  from_90k INTEGER NOT NULL,
  to_90k INTEGER NOT NULL CHECK (to_90k > from_90k),
  case_ref TEXT NOT NULL CHECK (length(case_ref) > 0),  -- police case (proces-verbaal, BVH) reference
  offence TEXT NOT NULL CHECK (length(offence) > 0),    -- the suspected criminal offence
  justification TEXT NOT NULL,
  keep_until_90k INTEGER,        -- the hold ends by itself then; NULL: until released
  requested_by TEXT NOT NULL,
  requested_90k INTEGER NOT NULL,
  decision TEXT CHECK (decision IN ('approved', 'rejected')),
  decided_by TEXT,
  decided_90k INTEGER,
  decision_note TEXT,
  released_by TEXT,
  released_90k INTEGER,
  release_reason TEXT
);
CREATE TABLE evidence_hold_camera (
  hold_id INTEGER NOT NULL REFERENCES evidence_hold (id),
  camera TEXT NOT NULL,
  area TEXT NOT NULL,
  PRIMARY KEY (hold_id, camera)
);
CREATE INDEX evidence_hold_camera_camera ON evidence_hold_camera (camera);

-- Retention looks for segments by their end.
CREATE INDEX recording_end ON recording (end_90k);

-- Police clip requests and their exports (Wpg 15/16, Bpg 6:4).
CREATE TABLE clip_request (
  id INTEGER PRIMARY KEY,
  from_90k INTEGER NOT NULL,
  to_90k INTEGER NOT NULL CHECK (to_90k > from_90k),
  case_ref TEXT NOT NULL CHECK (length(case_ref) > 0),
  legal_basis TEXT NOT NULL CHECK (legal_basis IN ('wpg-15-16', 'sv-126nd')),
  vordering_ref TEXT,            -- the written vordering (art. 126nd Sv), required for sv-126nd
  purpose TEXT NOT NULL CHECK (length(purpose) > 0),
  requested_by TEXT NOT NULL,
  requested_90k INTEGER NOT NULL,
  decision TEXT CHECK (decision IN ('approved', 'rejected')),
  decided_by TEXT,
  decided_90k INTEGER,
  decision_reason TEXT,
  CHECK (legal_basis = 'wpg-15-16' OR length(vordering_ref) > 0)
);
CREATE TABLE clip_export (
  request_id INTEGER NOT NULL REFERENCES clip_request (id),
  camera TEXT NOT NULL,
  area TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'exporting', 'ready', 'failed')),
  file TEXT,                     -- relative to [storage] path, under exports/
  manifest TEXT,                 -- likewise
  sha256 TEXT,
  bytes INTEGER,
  error TEXT,
  finished_90k INTEGER,
  expires_90k INTEGER,           -- the download link's end
  PRIMARY KEY (request_id, camera)
);

-- Incident retention looks for incidents by creation time.
CREATE INDEX incident_created ON incident (created_90k);
