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
