import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import Testing

@Suite("Tenant isolation (row-level security)", .serialized, .timeLimit(.minutes(2)))
struct TenantIsolationTests {
    static let things = Migration(version: 1, name: "0001_things", sql: """
        CREATE TABLE things (tenant_id text NOT NULL, name text NOT NULL);
        ALTER TABLE things ENABLE ROW LEVEL SECURITY;
        ALTER TABLE things FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON things
            USING (tenant_id = current_setting('maestro.tenant', true))
            WITH CHECK (tenant_id = current_setting('maestro.tenant', true));
        GRANT SELECT, INSERT, UPDATE, DELETE ON things TO {{runtime_role}};
        """)

    @Test("no tenant sees nothing; tenant A never sees or writes tenant B's rows, even with hand-written SQL")
    func isolation() async throws {
        let database = try await TestDatabase.create()
        try await withRunning(makeClient(try database.ownerSettings(schema: "catalog"))) { owner in
            try await database.migrator(owner, schema: "catalog", migrations: [Self.things]).migrate()
        }
        try await withRunning(makeClient(try database.runtimeSettings(schema: "catalog"))) { client in
            let logger = TestDatabase.logger
            try await client.withTenantTransaction("tenant-a", logger: logger) { connection in
                try await connection.query("INSERT INTO catalog.things VALUES ('tenant-a', 'a-thing')", logger: logger)
            }
            try await client.withTenantTransaction("tenant-b", logger: logger) { connection in
                try await connection.query("INSERT INTO catalog.things VALUES ('tenant-b', 'b-thing')", logger: logger)
            }

            let unscoped = try await client.integer("SELECT count(*)::int FROM catalog.things")
            #expect(unscoped == 0, "a query without a tenant sees nothing")

            let seenByA = try await client.withTenantTransaction("tenant-a", logger: logger) { connection in
                var names: [String] = []
                for try await name in try await connection.query("SELECT name FROM catalog.things", logger: logger).decode(String.self) { names.append(name) }
                return names
            }
            #expect(seenByA == ["a-thing"])

            let crossTenant = try await client.withTenantTransaction("tenant-a", logger: logger) { connection in
                var count = 0
                for try await value in try await connection.query("SELECT count(*)::int FROM catalog.things WHERE tenant_id = 'tenant-b'", logger: logger).decode(Int.self) { count = value }
                return count
            }
            #expect(crossTenant == 0)

            await #expect(throws: (any Error).self) {
                try await client.withTenantTransaction("tenant-a", logger: logger) { connection in
                    try await connection.query("INSERT INTO catalog.things VALUES ('tenant-b', 'smuggled')", logger: logger)
                }
            }
            let updated = try await client.withTenantTransaction("tenant-a", logger: logger) { connection in
                var count = 0
                for try await value in try await connection.query("WITH changed AS (UPDATE catalog.things SET name = 'x' RETURNING 1) SELECT count(*)::int FROM changed", logger: logger).decode(Int.self) { count = value }
                return count
            }
            #expect(updated == 1, "an update reaches only the tenant's own row")

            let role = try await client.strings("SELECT rolbypassrls::text FROM pg_roles WHERE rolname = current_user")
            #expect(role == ["false"])
            let owner = try await client.strings("SELECT tableowner::text FROM pg_tables WHERE schemaname = 'catalog' AND tablename = 'things'")
            #expect(owner != [database.runtimeRole])
            await #expect(throws: (any Error).self) {
                try await client.query("ALTER TABLE catalog.things NO FORCE ROW LEVEL SECURITY", logger: logger)
            }
        }
    }

    @Test("an empty tenant id is refused")
    func emptyTenant() async throws {
        let database = try await TestDatabase.create()
        try await withRunning(makeClient(try database.ownerSettings(schema: "catalog"))) { owner in
            try await database.migrator(owner, schema: "catalog", migrations: [Self.things]).migrate()
            await #expect(throws: (any Error).self) {
                try await owner.withTenantTransaction("", logger: TestDatabase.logger) { _ in }
            }
        }
    }
}
