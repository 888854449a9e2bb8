-- Approval policies and requests. A policy applies to a whole tenant, or to one model
-- (scope 'model'), which overrides the tenant's. A request keeps the policy it was opened
-- under, the facts its checks saw, each check with its evidence, and every decision.

CREATE TABLE policies (
    tenant_id  text        NOT NULL,
    id         uuid        PRIMARY KEY,
    scope      text        NOT NULL CHECK (scope IN ('tenant', 'model')),
    model_name text,
    revision   integer     NOT NULL,
    policy     jsonb       NOT NULL,
    set_by     text        NOT NULL,
    set_at     timestamptz NOT NULL,
    CHECK ((scope = 'model') = (model_name IS NOT NULL))
);
CREATE UNIQUE INDEX policies_scope ON policies (tenant_id, scope, COALESCE(model_name, ''));

CREATE TABLE approval_requests (
    tenant_id       text        NOT NULL,
    id              uuid        PRIMARY KEY,
    subject         text        NOT NULL,
    promotion       jsonb,
    policy_id       uuid,
    policy_revision integer     NOT NULL,
    policy          jsonb       NOT NULL,
    facts           jsonb       NOT NULL,
    state           text        NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED')),
    reason          text,
    requested_by    text        NOT NULL,
    requested_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    decided_at      timestamptz,
    correlation_id  text
);
CREATE INDEX approval_requests_state ON approval_requests (tenant_id, state, requested_at);
CREATE INDEX approval_requests_expiry ON approval_requests (expires_at) WHERE state = 'PENDING';

CREATE TABLE approval_checks (
    tenant_id   text        NOT NULL,
    approval_id uuid        NOT NULL REFERENCES approval_requests (id),
    name        text        NOT NULL,
    kind        text        NOT NULL,
    passed      boolean     NOT NULL,
    reason      text        NOT NULL,
    evidence    jsonb       NOT NULL,
    evaluated_at timestamptz NOT NULL,
    PRIMARY KEY (approval_id, name)
);

CREATE TABLE approval_decisions (
    tenant_id   text        NOT NULL,
    approval_id uuid        NOT NULL REFERENCES approval_requests (id),
    seq         integer     NOT NULL,
    principal   text        NOT NULL,
    approve     boolean     NOT NULL,
    comment     text,
    decided_at  timestamptz NOT NULL,
    PRIMARY KEY (approval_id, seq)
);

-- Discussion on a request, apart from decisions.
CREATE TABLE approval_comments (
    tenant_id   text        NOT NULL,
    approval_id uuid        NOT NULL REFERENCES approval_requests (id),
    seq         integer     NOT NULL,
    principal   text        NOT NULL,
    comment     text        NOT NULL,
    commented_at timestamptz NOT NULL,
    PRIMARY KEY (approval_id, seq)
);

ALTER TABLE approval_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE approval_comments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON approval_comments
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policies
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE approval_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE approval_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON approval_requests
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE approval_checks ENABLE ROW LEVEL SECURITY;
ALTER TABLE approval_checks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON approval_checks
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE approval_decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE approval_decisions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON approval_decisions
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));

GRANT SELECT, INSERT, UPDATE ON policies, approval_requests, approval_checks, approval_decisions, approval_comments TO {{runtime_role}};
