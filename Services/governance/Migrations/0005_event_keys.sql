-- Event keys: the Ed25519 public keys the services sign their events with. Governance is the
-- trust root: a key is registered by the service account of the platform tenant named after
-- the service (principal_id), or is governance's own (principal_id NULL). The published set
-- leaves out keys whose account is disabled. kid is the key's RFC 7638 thumbprint.
CREATE TABLE event_keys (
    kid           text        PRIMARY KEY,
    service       text        NOT NULL,
    principal_id  uuid        REFERENCES principals (id),
    x             text        NOT NULL,
    registered_at timestamptz NOT NULL
);

GRANT SELECT, INSERT ON event_keys TO {{runtime_role}};
