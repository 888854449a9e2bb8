-- The registry's tables. Every row carries tenant_id and is guarded by row-level security on
-- the transaction's maestro.tenant setting (FORCE: the owner is subject to it too).

CREATE TABLE models (
    tenant_id         text        NOT NULL,
    id                uuid        PRIMARY KEY,
    name              text        NOT NULL,
    description       text,
    owner             text,
    protected_aliases text[]      NOT NULL DEFAULT ARRAY['champion', 'production'],
    next_version      integer     NOT NULL DEFAULT 1,
    revision          bigint      NOT NULL DEFAULT 1,
    created_by        text        NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_by        text        NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz
);
-- A deleted model's name can be registered again.
CREATE UNIQUE INDEX models_live_name ON models (tenant_id, name) WHERE deleted_at IS NULL;
CREATE INDEX models_live_updated ON models (tenant_id, updated_at, name) WHERE deleted_at IS NULL;
CREATE INDEX models_live_name_pattern ON models (tenant_id, name text_pattern_ops) WHERE deleted_at IS NULL;

CREATE TABLE model_tags (
    tenant_id text NOT NULL,
    model_id  uuid NOT NULL REFERENCES models (id),
    key       text NOT NULL,
    value     text NOT NULL,
    PRIMARY KEY (model_id, key)
);
CREATE INDEX model_tags_lookup ON model_tags (tenant_id, key, value);

CREATE TABLE versions (
    tenant_id          text        NOT NULL,
    model_id           uuid        NOT NULL REFERENCES models (id),
    version            integer     NOT NULL,
    source             text        NOT NULL,
    run_id             text,
    run_link           text,
    description        text,
    status             text        NOT NULL,
    status_message     text,
    stage              text        NOT NULL DEFAULT 'None',
    signature          jsonb,
    params             jsonb       NOT NULL DEFAULT '{}',
    dataset_versions   jsonb       NOT NULL DEFAULT '[]',
    feature_views      text[]      NOT NULL DEFAULT '{}',
    openlineage_run_id text,
    parent_version     integer,
    card               jsonb,
    revision           bigint      NOT NULL DEFAULT 1,
    created_by         text        NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_by         text        NOT NULL,
    updated_at         timestamptz NOT NULL,
    deleted_at         timestamptz,
    PRIMARY KEY (model_id, version)
);
CREATE INDEX versions_run ON versions (tenant_id, run_id) WHERE deleted_at IS NULL;

CREATE TABLE version_metrics (
    tenant_id text             NOT NULL,
    model_id  uuid             NOT NULL,
    version   integer          NOT NULL,
    name      text             NOT NULL,
    value     double precision NOT NULL,
    PRIMARY KEY (model_id, version, name),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version)
);
CREATE INDEX version_metrics_lookup ON version_metrics (tenant_id, name, value);

CREATE TABLE version_tags (
    tenant_id text    NOT NULL,
    model_id  uuid    NOT NULL,
    version   integer NOT NULL,
    key       text    NOT NULL,
    value     text    NOT NULL,
    PRIMARY KEY (model_id, version, key),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version)
);
CREATE INDEX version_tags_lookup ON version_tags (tenant_id, key, value);

CREATE TABLE aliases (
    tenant_id  text        NOT NULL,
    model_id   uuid        NOT NULL REFERENCES models (id),
    alias      text        NOT NULL,
    version    integer     NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (model_id, alias)
);

-- Every move of every alias, deletions included (version IS NULL), never updated.
CREATE TABLE alias_history (
    tenant_id        text        NOT NULL,
    id               bigserial   PRIMARY KEY,
    model_id         uuid        NOT NULL REFERENCES models (id),
    alias            text        NOT NULL,
    previous_version integer,
    version          integer,
    reason           text,
    promotion_id     uuid,
    moved_by         text        NOT NULL,
    moved_at         timestamptz NOT NULL
);
CREATE INDEX alias_history_lookup ON alias_history (model_id, alias, moved_at);

CREATE TABLE promotions (
    tenant_id        text        NOT NULL,
    id               uuid        PRIMARY KEY,
    model_id         uuid        NOT NULL REFERENCES models (id),
    version          integer     NOT NULL,
    alias            text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('PENDING', 'COMPLETED', 'REJECTED')),
    reason           text,
    requested_by     text        NOT NULL,
    requested_at     timestamptz NOT NULL,
    approval_id      text,
    decision         text,
    decided_at       timestamptz
);
CREATE INDEX promotions_model ON promotions (model_id, requested_at);

ALTER TABLE models ENABLE ROW LEVEL SECURITY;
ALTER TABLE models FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON models
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE model_tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE model_tags FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON model_tags
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON versions
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE version_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE version_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON version_metrics
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE version_tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE version_tags FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON version_tags
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE aliases ENABLE ROW LEVEL SECURITY;
ALTER TABLE aliases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON aliases
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE alias_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE alias_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alias_history
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE promotions ENABLE ROW LEVEL SECURITY;
ALTER TABLE promotions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON promotions
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));

GRANT SELECT, INSERT, UPDATE, DELETE ON models, model_tags, versions, version_metrics, version_tags, aliases, promotions TO {{runtime_role}};
GRANT SELECT, INSERT ON alias_history TO {{runtime_role}};
GRANT USAGE, SELECT ON SEQUENCE alias_history_id_seq TO {{runtime_role}};
