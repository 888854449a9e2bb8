import Foundation
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import Testing

@Suite("Migrations", .serialized, .timeLimit(.minutes(2)))
struct MigrationTests {
    static let first = Migration(version: 1, name: "0001_models", sql: "CREATE TABLE models (name text PRIMARY KEY); GRANT SELECT ON models TO {{runtime_role}};")
    static let second = Migration(version: 2, name: "0002_versions", sql: "CREATE TABLE versions (model text REFERENCES models (name), version int);")

    @Test("applies the kit's tables and then the service's migrations in version order, once")
    func appliesInOrder() async throws {
        let database = try await TestDatabase.create()
        let client = makeClient(try database.ownerSettings(schema: "registry"))
        try await withRunning(client) { client in
            let applied = try await database.migrator(client, schema: "registry", migrations: [Self.second, Self.first]).migrate()
            #expect(applied == ["0001_outbox_inbox", "0001_models", "0002_versions"])
            #expect(try await database.migrator(client, schema: "registry", migrations: [Self.first, Self.second]).migrate().isEmpty)
            let tables = try await client.strings("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'registry' ORDER BY 1")
            #expect(tables == ["inbox", "maestro_migrations", "models", "outbox", "versions"])
        }
    }

    @Test("an applied migration whose file changed refuses start-up, naming it")
    func changedFileRefused() async throws {
        let database = try await TestDatabase.create()
        let client = makeClient(try database.ownerSettings(schema: "registry"))
        try await withRunning(client) { client in
            try await database.migrator(client, schema: "registry", migrations: [Self.first]).migrate()
            let edited = Migration(version: 1, name: "0001_models", sql: Self.first.sql + " -- edited")
            await #expect {
                try await database.migrator(client, schema: "registry", migrations: [edited]).migrate()
            } throws: { error in
                "\(error)".contains("0001_models") && "\(error)".contains("changed")
            }
        }
    }

    @Test("an applied migration missing from the build refuses start-up")
    func unknownMigrationRefused() async throws {
        let database = try await TestDatabase.create()
        let client = makeClient(try database.ownerSettings(schema: "registry"))
        try await withRunning(client) { client in
            try await database.migrator(client, schema: "registry", migrations: [Self.first, Self.second]).migrate()
            await #expect {
                try await database.migrator(client, schema: "registry", migrations: [Self.first]).migrate()
            } throws: { error in
                "\(error)".contains("0002_versions") && "\(error)".contains("newer than the code")
            }
        }
    }

    @Test("a failing migration leaves nothing behind and names itself")
    func failingMigrationRollsBack() async throws {
        let database = try await TestDatabase.create()
        let client = makeClient(try database.ownerSettings(schema: "registry"))
        try await withRunning(client) { client in
            let broken = Migration(version: 2, name: "0002_broken", sql: "CREATE TABLE half (id int); SELECT * FROM no_such_table;")
            await #expect {
                try await database.migrator(client, schema: "registry", migrations: [Self.first, broken]).migrate()
            } throws: { error in
                "\(error)".contains("0002_broken")
            }
            let half = try await client.integer("SELECT count(*)::int FROM information_schema.tables WHERE table_schema = 'registry' AND table_name = 'half'")
            #expect(half == 0)
            let ledger = try await client.strings("SELECT name FROM registry.maestro_migrations ORDER BY source, version")
            #expect(ledger == ["0001_outbox_inbox", "0001_models"])
        }
    }

    @Test("two replicas migrating at once: each migration is applied exactly once")
    func concurrentMigrators() async throws {
        let database = try await TestDatabase.create()
        let settings = try database.ownerSettings(schema: "registry")
        let slow = Migration(version: 3, name: "0003_slow", sql: "SELECT pg_sleep(0.5); CREATE TABLE slow (id int);")
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await withRunning(makeClient(settings)) { client in
                        try await database.migrator(client, schema: "registry", migrations: [Self.first, Self.second, slow]).migrate()
                    }
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(results.flatMap { $0 }.sorted() == ["0001_models", "0001_outbox_inbox", "0002_versions", "0003_slow"])
        #expect(results.contains { $0.isEmpty })
    }

    @Test("services migrating one schema name in several databases at once share its cluster-wide runtime role without failing")
    func concurrentDatabasesShareTheRuntimeRole() async throws {
        // Roles are cluster-wide while the migration lock is per database: each migrator may be the one creating the role.
        let schema = "race_" + UUID().uuidString.prefix(8).lowercased()
        var databases: [TestDatabase] = []
        for _ in 0..<6 { databases.append(try await TestDatabase.create()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for database in databases {
                group.addTask {
                    try await withRunning(makeClient(try database.ownerSettings(schema: schema))) { client in
                        _ = try await database.migrator(client, schema: schema, migrations: [Self.first]).migrate()
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("bad settings are reported without the password")
    func badSettings() {
        #expect(throws: PostgresSettingsError.self) { try PostgresSettings(url: "mysql://u:secret@h/db", schema: "registry") }
        #expect(throws: PostgresSettingsError.self) { try PostgresSettings(url: "postgres://u:secret@h/db", schema: "Bad-Name") }
        do {
            _ = try PostgresSettings(url: "postgres://u:secret@h/", schema: "registry")
            Issue.record("a URL without a database was accepted")
        } catch {
            #expect(!"\(error)".contains("secret"))
            #expect("\(error)".contains("database"))
        }
    }
}
