import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies a service's migrations to its schema at start-up.
///
/// Guarantees: migrations run in version order (the kit's own tables first), each in its own
/// transaction together with its ledger row, so a failed migration leaves nothing behind;
/// replicas starting at once serialize on a session advisory lock per schema, and the later
/// ones find everything applied; an applied migration whose file changed, or one the build
/// does not know, stops start-up with a message naming it.
///
/// Runs as the schema's owner. `{{runtime_role}}` in a migration stands for the schema's
/// runtime group role (``PostgresSettings/runtimeGroupRole``), which the service's login role
/// is made a member of: migrations grant that role exactly what the service may do.
public struct PostgresMigrator: Sendable {
    private let client: PostgresClient
    private let schema: String
    private let runtimeGroupRole: String
    private let runtimeLoginRole: String?
    private let migrations: [Migration]
    private let logger: Logger

    /// - Parameters:
    ///   - client: connected as the schema's owner.
    ///   - runtimeLoginRole: the role the service connects as at run time; it must exist, be
    ///     NOBYPASSRLS and not own the tables. It is made a member of the runtime group role.
    public init(client: PostgresClient, settings: PostgresSettings, runtimeLoginRole: String?, migrations: [Migration], logger: Logger) throws {
        if let runtimeLoginRole { try PostgresSettings.checkIdentifier(runtimeLoginRole) }
        self.client = client
        self.schema = settings.schema
        self.runtimeGroupRole = settings.runtimeGroupRole
        self.runtimeLoginRole = runtimeLoginRole
        self.migrations = KitSchema.migrations + migrations.sorted { $0.version < $1.version }.map { Migration(source: .service, version: $0.version, name: $0.name, sql: $0.sql) }
        self.logger = logger
    }

    /// The advisory lock key for this schema's migrations.
    private var lockKey: Int64 {
        let digest = Array(SHA256.hash(data: Data("maestro.migrations.\(schema)".utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// Applies what is pending; returns the names of the migrations it applied.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [String] {
        try await Self.runScript("""
            CREATE SCHEMA IF NOT EXISTS \(schema);
            CREATE TABLE IF NOT EXISTS \(schema).maestro_migrations (
                source text NOT NULL,
                version integer NOT NULL,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, version)
            );
            DO $$ BEGIN
                CREATE ROLE \(runtimeGroupRole) NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another database's migrator created it concurrently
            END $$;
            GRANT USAGE ON SCHEMA \(schema) TO \(runtimeGroupRole);
            """, on: connection, logger: logger)
        if let runtimeLoginRole {
            try await connection.query("GRANT \(unescaped: runtimeGroupRole) TO \(unescaped: runtimeLoginRole)", logger: logger)
        }

        var appliedChecksums: [String: String] = [:]
        let rows = try await connection.query("SELECT source, version, name, checksum FROM \(unescaped: schema).maestro_migrations", logger: logger)
        for try await (source, version, name, checksum) in rows.decode((String, Int, String, String).self) {
            guard let migration = migrations.first(where: { $0.source.rawValue == source && $0.version == version }) else {
                throw MigrationError.unknown(name, schema: schema)
            }
            guard migration.checksum == checksum else { throw MigrationError.changed(migration.name, schema: schema) }
            appliedChecksums["\(source)/\(version)"] = checksum
        }

        var applied: [String] = []
        for migration in migrations where appliedChecksums["\(migration.source.rawValue)/\(migration.version)"] == nil {
            let sql = migration.sql.replacingOccurrences(of: "{{runtime_role}}", with: runtimeGroupRole)
            do {
                try await connection.withTransaction(logger: logger) { connection in
                    try await Self.runScript("SET LOCAL search_path TO \(schema), public; \(sql)", on: connection, logger: logger)
                    try await connection.query("""
                        INSERT INTO \(unescaped: schema).maestro_migrations (source, version, name, checksum)
                        VALUES (\(migration.source.rawValue), \(migration.version), \(migration.name), \(migration.checksum))
                        """, logger: logger)
                }
            } catch {
                throw MigrationError.failed(migration.name, schema: schema, error: error)
            }
            logger.info("applied migration", metadata: ["schema": "\(schema)", "migration": "\(migration.name)"])
            applied.append(migration.name)
        }
        return applied
    }

    /// Runs several statements in one round trip. postgres-nio speaks only the extended
    /// protocol, which takes one statement at a time, so the script runs as one PL/pgSQL
    /// `EXECUTE` (which accepts several); a script may not contain the quoting tag itself.
    static func runScript(_ sql: String, on connection: PostgresConnection, logger: Logger) async throws {
        let tag = "$maestro_script$"
        guard !sql.contains(tag) else { throw MigrationError(description: "a migration may not contain \(tag)") }
        try await connection.query("DO $maestro_block$ BEGIN EXECUTE \(unescaped: tag)\(unescaped: sql)\(unescaped: tag); END $maestro_block$", logger: logger)
    }
}

extension PostgresMigrator {
    /// Start-up migration: connects with `settings` (the schema owner), applies `migrations`
    /// and disconnects, before the service's own clients and workers start.
    public static func migrate(settings: PostgresSettings, runtimeLoginRole: String?, migrations: [Migration], logger: Logger) async throws {
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await PostgresMigrator(client: client, settings: settings, runtimeLoginRole: runtimeLoginRole, migrations: migrations, logger: logger).migrate()
        }
    }
}
