import Foundation
import NIOSSL
import PostgresNIO

/// Where a service's database is and which schema it owns, from `MAESTRO_POSTGRES_URL`
/// (`postgres://user:password@host:port/database?sslmode=disable|prefer|require`).
public struct PostgresSettings: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: String
    /// The one PostgreSQL schema this service owns and touches.
    public var schema: String
    /// The longest any one statement on these connections may run before PostgreSQL cancels
    /// it (`statement_timeout`, set when each connection starts, so it costs no round trip);
    /// `nil` for none, as for migrations.
    public var statementTimeout: Duration?

    public init(url: String, schema: String) throws(PostgresSettingsError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw PostgresSettingsError("not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresSettingsError("the URL has no host") }
        guard let user = components.user, !user.isEmpty else { throw PostgresSettingsError("the URL has no user name") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw PostgresSettingsError("the URL has no database name") }
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw PostgresSettingsError("sslmode must be disable, prefer or require, not '\(sslMode)'")
        }
        try Self.checkIdentifier(schema)
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password?.removingPercentEncoding
        self.database = database
        self.sslMode = sslMode
        self.schema = schema
    }

    /// The schema's runtime group role: migrations grant it what the service may do.
    public var runtimeGroupRole: String { "\(schema)_runtime" }

    public var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch sslMode {
        case "disable": .disable
        case "require": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        // PostgreSQL notices within a second that a connection closed under a running statement
        // (a service that died mid-request) and stops it.
        configuration.options.additionalStartupParameters.append(("client_connection_check_interval", "1000"))
        if let statementTimeout {
            let milliseconds = statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
            configuration.options.additionalStartupParameters.append(("statement_timeout", String(max(1, milliseconds))))
        }
        return configuration
    }

    /// Schema and role names go into SQL unquoted, so they are restricted to lowercase identifiers.
    static func checkIdentifier(_ name: String) throws(PostgresSettingsError) {
        guard name.wholeMatch(of: /[a-z_][a-z0-9_]{0,62}/) != nil else {
            throw PostgresSettingsError("'\(name)' is not a lowercase SQL identifier")
        }
    }
}

/// A configuration problem, described without the password.
public struct PostgresSettingsError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = "MAESTRO_POSTGRES_URL: \(description)"
    }
}
