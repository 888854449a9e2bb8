import Foundation
import Logging
import MaestroPostgres
import PostgresNIO

/// A fresh database on the PostgreSQL server `make test` started, with a runtime login role
/// that is NOBYPASSRLS and owns nothing. Migrations run as the cluster's owner role.
public struct TestDatabase: Sendable {
    public let host: String
    public let port: Int
    public let owner: String
    public let name: String
    public let runtimeRole: String

    public static var logger: Logger { KafkaTestSupport.logger }

    public static func create() async throws -> TestDatabase {
        guard let adminURL = ProcessInfo.processInfo.environment["MAESTRO_TEST_POSTGRES_ADMIN_URL"],
              let components = URLComponents(string: adminURL), let host = components.host, let owner = components.user else {
            throw TestSetupError("MAESTRO_TEST_POSTGRES_ADMIN_URL is not set: run the tests with `make test`, which starts PostgreSQL")
        }
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let database = TestDatabase(host: host, port: components.port ?? 5432, owner: owner, name: "test_\(suffix)", runtimeRole: "app_\(suffix)")
        let admin = PostgresClient(configuration: .init(host: host, port: database.port, username: owner, password: nil, database: "postgres", tls: .disable))
        try await withRunning(admin) { admin in
            try await admin.query("CREATE DATABASE \(unescaped: database.name)", logger: logger)
            try await admin.query("CREATE ROLE \(unescaped: database.runtimeRole) LOGIN NOBYPASSRLS", logger: logger)
        }
        return database
    }

    public func url(as user: String) -> String {
        "postgres://\(user)@\(host):\(port)/\(name)?sslmode=disable"
    }

    public func ownerSettings(schema: String) throws -> PostgresSettings {
        try PostgresSettings(url: url(as: owner), schema: schema)
    }

    public func runtimeSettings(schema: String) throws -> PostgresSettings {
        try PostgresSettings(url: url(as: runtimeRole), schema: schema)
    }

    public func migrator(_ client: PostgresClient, schema: String, migrations: [Migration]) throws -> PostgresMigrator {
        try PostgresMigrator(client: client, settings: try ownerSettings(schema: schema), runtimeLoginRole: runtimeRole,
                             migrations: migrations, logger: Self.logger)
    }
}

/// Runs a PostgresClient for the duration of `body`.
public func withRunning<Result: Sendable>(_ client: PostgresClient, _ body: (PostgresClient) async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

public func makeClient(_ settings: PostgresSettings) -> PostgresClient {
    PostgresClient(configuration: settings.clientConfiguration)
}

extension PostgresClient {
    /// The single integer a query returns.
    public func integer(_ query: PostgresQuery) async throws -> Int {
        var value = 0
        for try await number in try await self.query(query, logger: TestDatabase.logger).decode(Int.self) { value = number }
        return value
    }

    public func strings(_ query: PostgresQuery) async throws -> [String] {
        var values: [String] = []
        for try await text in try await self.query(query, logger: TestDatabase.logger).decode(String.self) { values.append(text) }
        return values
    }
}
