import Foundation

/// Where and how ``RedisClient`` connects.
///
/// `description` never shows the password, so a configuration can be logged as is.
public struct RedisConfiguration: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// ACL user (Redis 6+); `nil` authenticates as the default user.
    public var username: String?
    public var password: String?
    /// Selected with `SELECT` on every new connection.
    public var database: Int
    /// Connections in the pool, each served by its own OS thread (at least 1).
    public var poolSize: Int
    /// Bound on establishing one TCP connection (plus AUTH/SELECT).
    public var connectTimeout: Duration
    /// Bound on each blocking socket read or write. A command that exceeds it fails with
    /// ``RedisError/Kind/timeout`` and its connection is discarded, because a late reply
    /// would otherwise be read as the answer to the next command.
    public var commandTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil,
                database: Int = 0, poolSize: Int = 8,
                connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]` (port 6379 and database 0 by
    /// default; user and password percent-decoded).
    public init(url: String, poolSize: Int = 8,
                connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(5)) throws(RedisError) {
        guard let components = URLComponents(string: url) else {
            throw .invalidURL("not a URL (expected redis://[:password@]host[:port][/db])")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "redis" else {
            throw .invalidURL("scheme must be redis:// (TLS and unix sockets are not supported)")
        }
        var host = components.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else {
            throw .invalidURL("missing host")
        }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else {
            throw .invalidURL("port \(port) is out of range")
        }
        let path = components.path.drop { $0 == "/" }
        var database = 0
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else {
                throw .invalidURL("the path must be a database number, e.g. /0")
            }
            database = number
        }
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 }
        self.init(host: host, port: port, username: user, password: components.password, database: database,
                  poolSize: poolSize, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }

    public var description: String {
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "redis://\(credentials)\(hostPart):\(port)/\(database)"
    }
}
