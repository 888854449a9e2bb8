import Crypto
import Foundation
import MaestroAuditLog
import MaestroPostgres
import NIOCore
import PostgresNIO

/// The Ed25519 checkpoint key. Its seed is kept in a file, out of the database on purpose:
/// whoever can rewrite the tables should not also be able to re-sign them. Its public half is
/// recorded in the database, so every checkpoint it signed stays checkable.
extension AuditLogStore {
    /// Reads the key from `file`, or creates the file (mode 0600) with a new key.
    static func loadSigningKey(file: String) throws(SigningKeyFileError) -> AuditSigningKey {
        let url = URL(fileURLWithPath: file)
        // Only a missing file gets a new key: an unreadable one must never be replaced, or the log would change keys silently.
        if FileManager.default.fileExists(atPath: url.path) {
            guard let text = try? String(contentsOf: url, encoding: .utf8), let key = AuditSigningKey(base64: text) else {
                throw SigningKeyFileError(problem: "\(file) does not hold a base64 Ed25519 seed (32 bytes)")
            }
            return key
        }
        let key = AuditSigningKey()
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: url.path, contents: Data((key.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw SigningKeyFileError(problem: "cannot create \(file): \(error)")
        }
        return key
    }

    /// Publishes the signing key's public half, so checkpoints signed with it stay checkable.
    func registerSigningKey() async throws {
        try await database.execute("""
            INSERT INTO audit.signing_keys (key_id, public_key, first_used_at)
            VALUES (\(key.keyID), \(ByteBuffer(bytes: key.publicKey.key.rawRepresentation)), now()) ON CONFLICT DO NOTHING
            """)
    }

    /// Every public key that has signed checkpoints, oldest first.
    func publicKeys() async throws -> [(keyID: String, publicKey: [UInt8], firstUsedAt: Date)] {
        try await database.platformTransaction { transaction in
            var keys: [(keyID: String, publicKey: [UInt8], firstUsedAt: Date)] = []
            let rows = try await transaction.query("SELECT key_id, public_key, first_used_at FROM audit.signing_keys ORDER BY first_used_at, key_id")
            for try await (id, bytes, at) in rows.decode((String, ByteBuffer, Date).self) {
                keys.append((keyID: id, publicKey: Array(buffer: bytes), firstUsedAt: at))
            }
            return keys
        }
    }
}

/// The signing key file cannot be read or created.
struct SigningKeyFileError: Error, CustomStringConvertible {
    let problem: String
    var description: String { problem }
}
