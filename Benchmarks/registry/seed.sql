-- Seeds the registry's bench data in tenant `default`: 10,000 models with 4 tags each, 10
-- versions per model with 4 tags each, and an alias `candidate` on every model.
-- Runs as the cluster owner (the bench's own throwaway PostgreSQL), after the registry migrated.
INSERT INTO registry.models (tenant_id, id, name, description, owner, next_version, created_by, created_at, updated_by, updated_at)
SELECT 'default', md5('m' || i)::uuid, 'model-' || lpad(i::text, 5, '0'), 'seeded', 'team-' || (i % 10), 11,
       'bench', now(), 'bench', now() - (i || ' seconds')::interval
FROM generate_series(1, 10000) AS i;

INSERT INTO registry.model_tags
SELECT 'default', md5('m' || i)::uuid, tag.key, tag.value
FROM generate_series(1, 10000) AS i,
     LATERAL (VALUES ('team', 'team-' || (i % 10)),
                     ('tier', (ARRAY['gold', 'silver', 'bronze'])[i % 3 + 1]),
                     ('region', (ARRAY['eu', 'us', 'ap', 'sa', 'af'])[i % 5 + 1]),
                     ('domain', 'domain-' || (i % 100))) AS tag(key, value);

INSERT INTO registry.versions (tenant_id, model_id, version, source, run_id, status, created_by, created_at, updated_by, updated_at)
SELECT 'default', md5('m' || i)::uuid, v, 's3://bench/' || i || '/' || v, 'run-' || i || '-' || v, 'READY', 'bench', now(), 'bench', now()
FROM generate_series(1, 10000) AS i, generate_series(1, 10) AS v;

-- 400,000 version tags: the per-row trigger that keeps versions.tag_index is off for the
-- load, and the copies are built in one pass afterwards.
SET session_replication_role = replica;
INSERT INTO registry.version_tags
SELECT 'default', md5('m' || i)::uuid, v, tag.key, tag.value
FROM generate_series(1, 10000) AS i, generate_series(1, 10) AS v,
     LATERAL (VALUES ('framework', 'xgboost'), ('validated', (v % 2)::text), ('owner', 'owner-' || (i % 7)), ('batch', 'batch-' || v)) AS tag(key, value);
SET session_replication_role = DEFAULT;
UPDATE registry.versions v SET tag_index = t.tags
FROM (SELECT model_id, version, jsonb_object_agg(key, value) AS tags FROM registry.version_tags GROUP BY model_id, version) t
WHERE t.model_id = v.model_id AND t.version = v.version;

INSERT INTO registry.version_metrics
SELECT 'default', md5('m' || i)::uuid, v, 'auc', 0.5 + ((i * 7 + v) % 50) / 100.0
FROM generate_series(1, 10000) AS i, generate_series(1, 10) AS v;

INSERT INTO registry.aliases SELECT 'default', md5('m' || i)::uuid, 'candidate', 10, now() FROM generate_series(1, 10000) AS i;

ANALYZE;
