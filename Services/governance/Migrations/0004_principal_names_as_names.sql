-- Principal names are unique per tenant as names, not as byte strings: 'A-EDITOR', 'a-editor'
-- and a full-width look-alike are one name. The index compares names NFKC-normalised and
-- lowercased, as the service does (Names.comparisonKey). Creating a look-alike of an existing
-- principal conflicts like creating the same name.
CREATE UNIQUE INDEX principals_name_as_name ON principals (tenant_id, lower(normalize(name, NFKC)));
