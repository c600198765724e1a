-- Migration 9: a designation's withdrawal records its reason, and an area
-- authorisation can grant a handhaving officer the area's recorded video
-- (playback; never live), which the role alone does not give.
ALTER TABLE designation ADD COLUMN withdraw_reason TEXT;
ALTER TABLE authorisation ADD COLUMN video INTEGER NOT NULL DEFAULT 0;
