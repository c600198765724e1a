-- Migration 8: incident retention looks for incidents by creation time
-- (every few seconds; without this index each look was a full scan).
CREATE INDEX incident_created ON incident (created_90k);
