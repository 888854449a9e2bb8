-- Who produced each event, as its signature proves it (EventProvenance): 'verified' with the
-- producing service, 'unsigned', or 'invalid'; NULL for records that are not CloudEvents and
-- for entries appended before signatures existed. The same verdict is inside the entry's
-- canonical JSON (member "provenance"), so it is covered by the Merkle tree; these columns serve
-- queries and reports.
ALTER TABLE entries ADD COLUMN provenance text CHECK (provenance IN ('verified', 'unsigned', 'invalid'));
ALTER TABLE entries ADD COLUMN producer text;
