-- The same bench data as seed.sql, in the tables of an MLflow server (after `mlflow db upgrade`):
-- 10,000 models with 4 tags, 10 versions per model with 4 tags, alias `candidate` on every model.
INSERT INTO registered_models (name, creation_time, last_updated_time, description)
SELECT 'model-' || lpad(i::text, 5, '0'), 1795600000000, 1795600000000 - i * 1000, 'seeded' FROM generate_series(1, 10000) AS i;

INSERT INTO registered_model_tags (key, value, name)
SELECT tag.key, tag.value, 'model-' || lpad(i::text, 5, '0')
FROM generate_series(1, 10000) AS i,
     LATERAL (VALUES ('team', 'team-' || (i % 10)),
                     ('tier', (ARRAY['gold', 'silver', 'bronze'])[i % 3 + 1]),
                     ('region', (ARRAY['eu', 'us', 'ap', 'sa', 'af'])[i % 5 + 1]),
                     ('domain', 'domain-' || (i % 100))) AS tag(key, value);

INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, run_link)
SELECT 'model-' || lpad(i::text, 5, '0'), v, 1795600000000, 1795600000000, '', 'bench', 'None', 's3://bench/' || i || '/' || v, 'run-' || i || '-' || v, 'READY', ''
FROM generate_series(1, 10000) AS i, generate_series(1, 10) AS v;

INSERT INTO model_version_tags (key, value, name, version)
SELECT tag.key, tag.value, 'model-' || lpad(i::text, 5, '0'), v
FROM generate_series(1, 10000) AS i, generate_series(1, 10) AS v,
     LATERAL (VALUES ('framework', 'xgboost'), ('validated', (v % 2)::text), ('owner', 'owner-' || (i % 7)), ('batch', 'batch-' || v)) AS tag(key, value);

INSERT INTO registered_model_aliases (alias, version, name) SELECT 'candidate', 10, 'model-' || lpad(i::text, 5, '0') FROM generate_series(1, 10000) AS i;

ANALYZE;
