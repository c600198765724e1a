-- Migration 7: police clip requests and their exports (Wpg art. 15, 16;
-- Bpg art. 6:4 lid 2: who asked, when, what, for what purpose). A request is
-- decided by a second person; its exports are remuxed files with a signed
-- manifest, downloadable by the requester over a link that expires.
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
