/// The service kit's own tables, created in every service's schema before its migrations.
enum KitSchema {
    static let migrations = [
        Migration(source: .kit, version: 1, name: "0001_outbox_inbox", sql: """
            -- Transactional outbox: a state change and its events commit together. The relay
            -- publishes unsent rows in id order; ids of one key are assigned in commit order
            -- because enqueueing takes a transaction-scoped advisory lock on the key.
            CREATE TABLE outbox (
                id bigserial PRIMARY KEY,
                topic text NOT NULL,
                key text NOT NULL,
                ce_id text NOT NULL UNIQUE,
                ce_type text NOT NULL,
                ce_source text NOT NULL,
                ce_subject text,
                ce_time timestamptz NOT NULL,
                ce_dataschema text,
                tenant text,
                authid text,
                correlationid text,
                causationid text,
                traceparent text,
                data bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                sent_at timestamptz
            );
            CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
            CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

            -- Inbox: (consumer, event id) recorded in the same transaction as the effect.
            CREATE TABLE inbox (
                consumer text NOT NULL,
                event_id text NOT NULL,
                processed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (consumer, event_id)
            );
            CREATE INDEX inbox_processed ON inbox (processed_at);

            GRANT SELECT, INSERT, UPDATE, DELETE ON outbox, inbox TO {{runtime_role}};
            GRANT USAGE, SELECT ON SEQUENCE outbox_id_seq TO {{runtime_role}};
            """),
    ]
}
