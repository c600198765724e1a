-- Migration 6: the legal rules. Designations (Gemeentewet art. 151c: an
-- area's cameras record only while one is active), veiligheidsrisicogebieden
-- (art. 151b: a separate record, never enabling cameras) and evidence holds
-- (151c lid 9: footage kept past the retention period for the investigation
-- of a criminal offence).
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
  changed_by TEXT NOT NULL
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
