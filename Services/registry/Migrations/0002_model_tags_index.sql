-- Tag searches on models: a jsonb copy of each model's tags with a GIN index, so equality
-- filters on several tags are one index lookup. model_tags stays the source of truth; a
-- trigger keeps the copy in step within the same transaction.

ALTER TABLE models ADD COLUMN tag_index jsonb NOT NULL DEFAULT '{}';

UPDATE models m SET tag_index = COALESCE((SELECT jsonb_object_agg(t.key, t.value) FROM model_tags t WHERE t.model_id = m.id), '{}');

CREATE INDEX models_tag_index ON models USING gin (tag_index jsonb_path_ops) WHERE deleted_at IS NULL;

CREATE FUNCTION refresh_model_tag_index() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    changed uuid := COALESCE(NEW.model_id, OLD.model_id);
BEGIN
    UPDATE registry.models SET tag_index = COALESCE((SELECT jsonb_object_agg(t.key, t.value) FROM registry.model_tags t WHERE t.model_id = changed), '{}')
    WHERE id = changed;
    RETURN NULL;
END
$body$;

CREATE TRIGGER model_tags_refresh_index AFTER INSERT OR UPDATE OR DELETE ON model_tags
    FOR EACH ROW EXECUTE FUNCTION refresh_model_tag_index();
