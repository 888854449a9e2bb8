import Crypto
import Foundation
import MaestroAuditLog
import MaestroBus
import MaestroPostgres
import NIOCore
import PostgresNIO

/// The Ed25519 checkpoint key. Its seed is kept in a file, out of the database on purpose:
/// whoever can rewrite the tables should not also be able to re-sign them. Its public half is
/// recorded in the database, so every checkpoint it signed stays checkable.
extension AuditLogStore {
    /// Reads the key from `file`, or creates the file (mode 0600) with a new key.
    static func loadSigningKey(file: String) throws(SigningKeyFileError) -> AuditSigningKey {
        AuditSigningKey(privateKey: try Ed25519SeedFile.load(file))
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
