-- Migration 5: watch plans. A supervisor plans a station shift or an event:
-- a time window, the cameras to watch (some must be watched throughout) and
-- the operators on duty. Plans are cancelled, never edited or deleted.
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
