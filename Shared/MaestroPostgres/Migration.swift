import Crypto
import Foundation

/// One schema change: a SQL file `NNNN_description.sql`, applied once, in order, in its own transaction.
public struct Migration: Sendable, Hashable {
    /// Who owns the migration: the service itself, or the service kit's own tables (outbox, inbox).
    public enum Source: String, Sendable, Hashable {
        case kit = "maestro-kit"
        case service
    }

    public let source: Source
    public let version: Int
    public let name: String
    public let sql: String

    /// SHA-256 of the file's text: an applied migration whose file changed stops start-up.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public init(source: Source = .service, version: Int, name: String, sql: String) {
        self.source = source
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads `NNNN_description.sql` files from a directory (a service's `Migrations/` resource).
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        var migrations: [Migration] = []
        for file in files {
            let name = file.deletingPathExtension().lastPathComponent
            guard let match = name.wholeMatch(of: /([0-9]{4})_([a-z0-9_]+)/), let version = Int(match.1) else {
                throw MigrationError.badFileName(file.lastPathComponent)
            }
            migrations.append(Migration(version: version, name: name, sql: try String(contentsOf: file, encoding: .utf8)))
        }
        let versions = migrations.map(\.version)
        if let duplicate = versions.first(where: { version in versions.filter { $0 == version }.count > 1 }) {
            throw MigrationError.duplicateVersion(duplicate)
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

/// Why migrations refused to run. Each names the migration concerned.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(description: String) {
        self.description = description
    }

    static func badFileName(_ file: String) -> MigrationError {
        MigrationError(description: "migration file \(file) is not named NNNN_description.sql")
    }

    static func duplicateVersion(_ version: Int) -> MigrationError {
        MigrationError(description: "two migration files have version \(version)")
    }

    static func changed(_ name: String, schema: String) -> MigrationError {
        MigrationError(description: "applied migration \(name) in schema \(schema) has changed since it was applied; restore the file and add a new migration instead")
    }

    static func unknown(_ name: String, schema: String) -> MigrationError {
        MigrationError(description: "schema \(schema) has migration \(name) applied, which this build does not have; the database is newer than the code")
    }

    static func failed(_ name: String, schema: String, error: any Error) -> MigrationError {
        MigrationError(description: "migration \(name) in schema \(schema) failed: \(String(reflecting: error))")
    }
}
