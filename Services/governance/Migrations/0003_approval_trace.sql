-- The trace context of the promotion an approval request belongs to: the events of later
-- decisions (taken through the API, in requests of their own) join that trace.
ALTER TABLE approval_requests ADD COLUMN trace_parent text;
