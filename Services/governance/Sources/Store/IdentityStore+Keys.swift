import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

extension IdentityStore {
    // MARK: API keys

    /// A new key for a principal; the secret is returned here and never again.
    func createAPIKey(principal: UUID, name: String?, expiresAt: Date?, secret: APIKeySecret = .generate(),
                      as caller: Caller) async throws -> (record: APIKeyRecord, secret: String) {
        try await database.transaction(caller) { tx in
            let owner = try await self.principal(principal, on: tx)
            guard owner.disabledAt == nil else { throw GovernanceError.forbidden("Principal '\(owner.name)' is disabled.") }
            let id = UUID()
            let now = Date()
            try await tx.execute("INSERT INTO governance.api_key_lookup VALUES (\(secret.prefix), \(tx.tenant))")
            try await tx.execute("""
                INSERT INTO governance.api_keys (tenant_id, id, prefix, secret_hash, principal_id, name, expires_at, created_by, created_at)
                VALUES (\(tx.tenant), \(id), \(secret.prefix), \(ByteBuffer(bytes: secret.hash)), \(principal), \(name), \(expiresAt), \(caller.subject), \(now))
                """)
            let subject = Self.subject(of: principal)
            try await tx.emit(GovernanceEvent.APIKeyCreated(keyID: id.uuidString.lowercased(), prefix: secret.prefix, principalID: principal.uuidString.lowercased(),
                                                            name: name, expiresAt: expiresAt, createdBy: caller.subject, createdAt: now),
                              key: subject, subject: subject)
            let record = APIKeyRecord(id: id, prefix: secret.prefix, principalID: principal, name: name, expiresAt: expiresAt, revokedAt: nil,
                                      lastUsedAt: nil, createdAt: now)
            return (record, secret.text)
        }
    }

    func apiKeys(as caller: Caller) async throws -> [APIKeyRecord] {
        try await database.transaction(caller) { tx in
            guard try await tx.countRows("SELECT 1 FROM governance.tenants WHERE id = \(tx.tenant)") == 1 else {
                throw GovernanceError.notFound("Tenant '\(tx.tenant)'")
            }
            var result: [APIKeyRecord] = []
            for try await (id, prefix, principal, name, expiresAt, revokedAt, lastUsedAt, createdAt) in try await tx.query("""
                SELECT id, prefix, principal_id, name, expires_at, revoked_at, last_used_at, created_at FROM governance.api_keys
                WHERE tenant_id = \(tx.tenant) ORDER BY created_at, id
                """).decode((UUID, String, UUID, String?, Date?, Date?, Date?, Date).self) {
                result.append(APIKeyRecord(id: id, prefix: prefix, principalID: principal, name: name, expiresAt: expiresAt, revokedAt: revokedAt,
                                           lastUsedAt: lastUsedAt, createdAt: createdAt))
            }
            return result
        }
    }

    /// Revokes a key; revoking a revoked key changes nothing and emits nothing.
    func revokeAPIKey(_ id: UUID, reason: String?, as caller: Caller) async throws {
        try await database.transaction(caller) { tx in
            var found: (String, UUID, Date?)?
            for try await row in try await tx.query("""
                SELECT prefix, principal_id, revoked_at FROM governance.api_keys WHERE id = \(id) AND tenant_id = \(tx.tenant) FOR UPDATE
                """).decode((String, UUID, Date?).self) { found = row }
            guard let (prefix, principal, revokedAt) = found else { throw GovernanceError.notFound("API key \(id.uuidString.lowercased())") }
            guard revokedAt == nil else { return }
            let now = Date()
            try await tx.execute("UPDATE governance.api_keys SET revoked_at = \(now) WHERE id = \(id)")
            let subject = Self.subject(of: principal)
            try await tx.emit(GovernanceEvent.APIKeyRevoked(keyID: id.uuidString.lowercased(), prefix: prefix, principalID: principal.uuidString.lowercased(),
                                                            reason: reason, revokedBy: caller.subject, revokedAt: now),
                              key: subject, subject: subject)
        }
    }

    /// The principal an API key stands for, if the key is valid (right secret, not expired or
    /// revoked, principal and tenant enabled); records its last use. Every failure is the same error.
    func authenticate(_ text: String) async throws -> AuthenticatedKey {
        guard let key = APIKeySecret(parsing: text) else { throw GovernanceError.invalidCredentials }
        return try await database.platformTransaction { platform in
            // api_key_lookup and tenants have no row-level security: they name the key's tenant
            // before the transaction can enter it.
            var found: String?
            for try await tenant in try await platform.query("""
                SELECT l.tenant_id FROM governance.api_key_lookup l JOIN governance.tenants t ON t.id = l.tenant_id
                WHERE l.prefix = \(key.prefix) AND t.disabled_at IS NULL
                """).decode(String.self) { found = tenant }
            guard let found else { throw GovernanceError.invalidCredentials }
            // Nothing is emitted here: the key's holder acts only once its token is issued.
            return try await platform.enter(Caller(tenant: found, subject: "mk_\(key.prefix)")) { tx in
                var row: (UUID, ByteBuffer, UUID, Date?, Date?)?
                for try await match in try await tx.query("""
                    SELECT id, secret_hash, principal_id, expires_at, revoked_at FROM governance.api_keys WHERE prefix = \(key.prefix) AND tenant_id = \(tx.tenant)
                    """).decode((UUID, ByteBuffer, UUID, Date?, Date?).self) { row = match }
                guard let (id, stored, principalID, expiresAt, revokedAt) = row, APIKeySecret.matches(Array(stored.readableBytesView), key.hash),
                      revokedAt == nil, expiresAt.map({ $0 > Date() }) ?? true else { throw GovernanceError.invalidCredentials }
                let principal = try await self.principal(principalID, on: tx)
                guard principal.disabledAt == nil else { throw GovernanceError.invalidCredentials }
                try await tx.execute("UPDATE governance.api_keys SET last_used_at = \(Date()) WHERE id = \(id)")
                return AuthenticatedKey(tenant: found, principal: principal, keyID: id, prefix: key.prefix)
            }
        }
    }

    // MARK: signing keys (governance.signing_keys has no row-level security: the keys are the platform's)

    /// Makes sure a key can sign: on first start, one that signs at once (no verifier has
    /// cached anything yet).
    func ensureSigningKey() async throws {
        try await database.platformTransaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(hashtext('governance.signing_keys'))")
            guard try await tx.countRows("SELECT 1 FROM governance.signing_keys WHERE retires_at IS NULL") == 0 else { return }
            let material = try SigningKeyMaterial.generate()
            let now = Date()
            try await tx.execute("""
                INSERT INTO governance.signing_keys VALUES (\(material.kid), \(material.privatePEM), \(material.publicJWK), \(now), \(now), NULL)
                """)
        }
    }

    /// Starts a new key: published now, signing after `lead` (so every verifier has fetched it
    /// first); the current key keeps signing until then and stays published until its last
    /// token has expired.
    func rotateSigningKey(lead: Duration, tokenLifetime: Duration) async throws -> String {
        try await database.platformTransaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(hashtext('governance.signing_keys'))")
            let material = try SigningKeyMaterial.generate()
            let now = Date()
            let activates = now.addingTimeInterval(lead.seconds)
            try await tx.execute("""
                UPDATE governance.signing_keys SET retires_at = \(activates.addingTimeInterval(tokenLifetime.seconds + 60))
                WHERE retires_at IS NULL
                """)
            try await tx.execute("""
                INSERT INTO governance.signing_keys VALUES (\(material.kid), \(material.privatePEM), \(material.publicJWK), \(now), \(activates), NULL)
                """)
            return material.kid
        }
    }

    /// The published keys: every key not yet retired.
    func jwks() async throws -> Data {
        let keys = try await database.platformTransaction { tx in
            var keys: [String] = []
            for try await jwk in try await tx.query("""
                SELECT public_jwk FROM governance.signing_keys WHERE retires_at IS NULL OR retires_at > now() ORDER BY created_at
                """).decode(String.self) { keys.append(jwk) }
            return keys
        }
        return Data(#"{"keys":[\#(keys.joined(separator: ","))]}"#.utf8)
    }

    /// The newest key that may sign, as `kid` and private PEM.
    func signingKey() async throws -> (kid: String, privatePEM: String) {
        let signer = try await database.platformTransaction { tx -> (String, String)? in
            var key: (String, String)?
            for try await row in try await tx.query("""
                SELECT kid, private_pem FROM governance.signing_keys WHERE activates_at <= now() AND (retires_at IS NULL OR retires_at > now())
                ORDER BY activates_at DESC LIMIT 1
                """).decode((String, String).self) { key = row }
            return key
        }
        guard let signer else { throw GovernanceError.internalState("no signing key is active") }
        return signer
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
