-- Governance identity: tenants, principals, role bindings, API keys and token signing keys.
-- Tenant-owned rows carry tenant_id under FORCE row-level security on maestro.tenant. Two
-- tables are global by nature and hold no secret a tenant could misuse: tenants themselves,
-- and api_key_lookup (prefix -> tenant), which lets a token exchange find a key's tenant
-- before it can open that tenant's transaction.

CREATE TABLE tenants (
    id           text        PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    display_name text,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    disabled_at  timestamptz
);

CREATE TABLE principals (
    tenant_id    text        NOT NULL REFERENCES tenants (id),
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('user', 'service_account')),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    disabled_at  timestamptz,
    UNIQUE (tenant_id, name)
);

CREATE TABLE role_bindings (
    tenant_id    text        NOT NULL,
    id           uuid        PRIMARY KEY,
    principal_id uuid        NOT NULL REFERENCES principals (id),
    role         text        NOT NULL CHECK (role IN ('viewer', 'editor', 'approver', 'admin')),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    UNIQUE (principal_id, role)
);

CREATE TABLE api_keys (
    tenant_id    text        NOT NULL,
    id           uuid        PRIMARY KEY,
    prefix       text        NOT NULL UNIQUE,
    secret_hash  bytea       NOT NULL,
    principal_id uuid        NOT NULL REFERENCES principals (id),
    name         text,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE api_key_lookup (
    prefix    text PRIMARY KEY,
    tenant_id text NOT NULL
);

-- ES256 signing keys. A key is published in the JWKS from created_at, signs from
-- activates_at (after every verifier has had time to fetch it), and is published until
-- retires_at, when every token it signed has expired.
CREATE TABLE signing_keys (
    kid          text        PRIMARY KEY,
    private_pem  text        NOT NULL,
    public_jwk   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    activates_at timestamptz NOT NULL,
    retires_at   timestamptz
);

ALTER TABLE principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE principals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON principals
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE role_bindings ENABLE ROW LEVEL SECURITY;
ALTER TABLE role_bindings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON role_bindings
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = current_setting('maestro.tenant', true)) WITH CHECK (tenant_id = current_setting('maestro.tenant', true));

GRANT SELECT, INSERT, UPDATE ON tenants, principals, role_bindings, api_keys, api_key_lookup, signing_keys TO {{runtime_role}};
GRANT DELETE ON role_bindings TO {{runtime_role}};
