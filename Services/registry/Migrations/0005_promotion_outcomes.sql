-- One vocabulary with governance. A promotion ends COMPLETED, REJECTED, EXPIRED or CANCELLED;
-- its decision is governance's outcome in governance's words (APPROVED, REJECTED, EXPIRED,
-- CANCELLED), with the reviewer's or canceller's words, or the registry's reason, in
-- decision_reason. Alias history keeps who approved a promoted move, besides who asked.
ALTER TABLE promotions DROP CONSTRAINT promotions_state_check;
ALTER TABLE promotions ADD COLUMN decision_reason text;
ALTER TABLE alias_history ADD COLUMN approved_by text[];

-- Existing rows of every tenant move to the new vocabulary (row-level security would hide them).
ALTER TABLE promotions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE promotions DISABLE ROW LEVEL SECURITY;
UPDATE promotions SET state = 'CANCELLED', decision = 'APPROVED', decision_reason = 'the version was deleted before the grant'
    WHERE state = 'REJECTED' AND decision = 'version deleted before the grant';
UPDATE promotions SET state = decision WHERE state = 'REJECTED' AND decision IN ('EXPIRED', 'CANCELLED');
UPDATE promotions SET decision = 'APPROVED' WHERE decision = 'granted';
ALTER TABLE promotions ENABLE ROW LEVEL SECURITY;
ALTER TABLE promotions FORCE ROW LEVEL SECURITY;

ALTER TABLE promotions ADD CONSTRAINT promotions_state_check CHECK (state IN ('PENDING', 'COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED'));
