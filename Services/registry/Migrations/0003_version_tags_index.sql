-- Tag searches on versions, as on models (0002): a jsonb copy of each version's tags with a
-- GIN index. Every tag condition of a search becomes one expression on the copy (containment
-- for equality, ->> for the others), so a search's cost grows linearly in its filters instead
-- of with one semi-join per filter. version_tags stays the source of truth; a trigger keeps the
-- copy in step within the same transaction.

ALTER TABLE versions ADD COLUMN tag_index jsonb NOT NULL DEFAULT '{}';

UPDATE versions v SET tag_index = COALESCE(
    (SELECT jsonb_object_agg(t.key, t.value) FROM version_tags t WHERE t.model_id = v.model_id AND t.version = v.version), '{}');

CREATE INDEX versions_tag_index ON versions USING gin (tag_index jsonb_path_ops) WHERE deleted_at IS NULL;

CREATE FUNCTION refresh_version_tag_index() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    changed_model uuid := COALESCE(NEW.model_id, OLD.model_id);
    changed_version integer := COALESCE(NEW.version, OLD.version);
BEGIN
    UPDATE registry.versions SET tag_index = COALESCE(
        (SELECT jsonb_object_agg(t.key, t.value) FROM registry.version_tags t WHERE t.model_id = changed_model AND t.version = changed_version), '{}')
    WHERE model_id = changed_model AND version = changed_version;
    RETURN NULL;
END
$body$;

CREATE TRIGGER version_tags_refresh_index AFTER INSERT OR UPDATE OR DELETE ON version_tags
    FOR EACH ROW EXECUTE FUNCTION refresh_version_tag_index();
