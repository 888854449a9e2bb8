-- The audit log: one append-only RFC 9162 Merkle log per tenant, plus `_system` for records
-- without a valid tenant ('_' cannot start a tenant id, so the names never collide).
--
-- Entries, interior nodes and checkpoints are append-only: the runtime role may only INSERT
-- and SELECT them, and a trigger rejects UPDATE, DELETE and TRUNCATE from anyone, the owner
-- included. An owner who disables the trigger and edits rows is caught by offline
-- verification; one who rewrites a whole suffix consistently is caught against checkpoints
-- kept outside the database (`maestro audit verify --checkpoint`). Rows are tenant-scoped
-- under FORCE row-level security.

-- Each log's state: its size, the right edge of its tree (the roots of the perfect subtrees
-- that make it up, largest first) and the last signed checkpoint. Only tree heads live here,
-- no content, so the checkpoint signer may list logs across tenants.
CREATE TABLE logs (
    log_id          text        PRIMARY KEY CHECK (log_id = '_system' OR log_id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    tree_size       bigint      NOT NULL DEFAULT 0,
    edge            bytea[]     NOT NULL DEFAULT '{}',
    root_hash       bytea       NOT NULL,
    checkpoint_size bigint      NOT NULL DEFAULT 0,
    checkpoint_at   timestamptz,
    updated_at      timestamptz NOT NULL
);

-- One row per entry. `entry` holds the canonical JSON bytes the leaf hash covers, kept as
-- text exactly as hashed; the other columns are copies for querying.
CREATE TABLE entries (
    log_id          text        NOT NULL,
    idx             bigint      NOT NULL CHECK (idx >= 0),
    kind            text        NOT NULL CHECK (kind IN ('event', 'raw', 'dead_letter')),
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    event_id        text,
    event_type      text,
    subject         text,
    authid          text,
    correlation_id  text,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    leaf_hash       bytea       NOT NULL CHECK (length(leaf_hash) = 32),
    entry           text        NOT NULL,
    PRIMARY KEY (log_id, idx)
);
CREATE INDEX entries_type ON entries (log_id, event_type, idx);
CREATE INDEX entries_subject ON entries (log_id, subject text_pattern_ops);
CREATE INDEX entries_authid ON entries (log_id, authid, idx);
CREATE INDEX entries_correlation ON entries (log_id, correlation_id, idx);
CREATE INDEX entries_occurred ON entries (log_id, occurred_at);

-- Perfect subtrees above the leaves: level l, index i covers leaves [i·2^l, (i+1)·2^l).
-- Any proof is assembled from O(log n) of them.
CREATE TABLE nodes (
    log_id text     NOT NULL,
    level  smallint NOT NULL CHECK (level > 0),
    idx    bigint   NOT NULL CHECK (idx >= 0),
    hash   bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (log_id, level, idx)
);

-- Signed tree heads (C2SP tlog-checkpoint bodies signed with Ed25519).
CREATE TABLE checkpoints (
    log_id    text        NOT NULL,
    tree_size bigint      NOT NULL,
    root_hash bytea       NOT NULL CHECK (length(root_hash) = 32),
    signed_at timestamptz NOT NULL,
    key_id    text        NOT NULL,
    signature bytea       NOT NULL,
    PRIMARY KEY (log_id, tree_size)
);

-- Every public key that ever signed a checkpoint, so old checkpoints stay checkable after a key change.
CREATE TABLE signing_keys (
    key_id        text        PRIMARY KEY,
    public_key    bytea       NOT NULL,
    first_used_at timestamptz NOT NULL
);

CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER nodes_append_only BEFORE UPDATE OR DELETE ON nodes FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER nodes_no_truncate BEFORE TRUNCATE ON nodes FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER signing_keys_append_only BEFORE UPDATE OR DELETE ON signing_keys FOR EACH ROW EXECUTE FUNCTION reject_change();

ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON entries
    USING (log_id = current_setting('maestro.tenant', true)) WITH CHECK (log_id = current_setting('maestro.tenant', true));
ALTER TABLE nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON nodes
    USING (log_id = current_setting('maestro.tenant', true)) WITH CHECK (log_id = current_setting('maestro.tenant', true));
ALTER TABLE checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON checkpoints
    USING (log_id = current_setting('maestro.tenant', true)) WITH CHECK (log_id = current_setting('maestro.tenant', true));

GRANT SELECT, INSERT ON entries, nodes, checkpoints, signing_keys TO {{runtime_role}};
GRANT SELECT, INSERT, UPDATE ON logs TO {{runtime_role}};
