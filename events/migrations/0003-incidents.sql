-- Migration 3: the incident log.

-- An incident as logged. Append-only: corrections are rows in
-- incident_change; triggers refuse UPDATE always and DELETE unless retention
-- opened the gate.
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
