import Foundation
import JWTKit
import MaestroEvents
import MaestroPostgres
import MaestroService
import PostgresNIO

extension IdentityStore {
    // MARK: API keys

    /// A new key for a principal; the secret is returned here and never again.
    func createAPIKey(tenant: String, principal: UUID, name: String?, expiresAt: Date?, actor: String,
                      secret: APIKeySecret = .generate()) async throws -> (record: APIKeyRecord, secret: String) {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            let owner = try await self.principal(principal, tenant: tenant, on: connection)
            guard owner.disabledAt == nil else { throw GovernanceError.forbidden("Principal '\(owner.name)' is disabled.") }
            let id = UUID()
            let now = Date()
            try await count("INSERT INTO governance.api_key_lookup VALUES (\(secret.prefix), \(tenant))", on: connection)
            try await count("""
                INSERT INTO governance.api_keys (tenant_id, id, prefix, secret_hash, principal_id, name, expires_at, created_by, created_at)
                VALUES (\(tenant), \(id), \(secret.prefix), \(ByteBuffer(bytes: secret.hash)), \(principal), \(name), \(expiresAt), \(actor), \(now))
                """, on: connection)
            try await emit(GovernanceEvent.APIKeyCreated(keyID: id.uuidString.lowercased(), prefix: secret.prefix, principalID: principal.uuidString.lowercased(),
                                                         name: name, expiresAt: expiresAt, createdBy: actor, createdAt: now),
                           subject: "principals/\(principal.uuidString.lowercased())", tenant: tenant, actor: actor, on: connection)
            let record = APIKeyRecord(id: id, prefix: secret.prefix, principalID: principal, name: name, expiresAt: expiresAt, revokedAt: nil,
                                      lastUsedAt: nil, createdAt: now)
            return (record, secret.text)
        }
    }

    func apiKeys(tenant: String) async throws -> [APIKeyRecord] {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            var result: [APIKeyRecord] = []
            for try await (id, prefix, principal, name, expiresAt, revokedAt, lastUsedAt, createdAt) in try await connection.query("""
                SELECT id, prefix, principal_id, name, expires_at, revoked_at, last_used_at, created_at FROM governance.api_keys
                WHERE tenant_id = \(tenant) ORDER BY created_at, id
                """, logger: logger).decode((UUID, String, UUID, String?, Date?, Date?, Date?, Date).self) {
                result.append(APIKeyRecord(id: id, prefix: prefix, principalID: principal, name: name, expiresAt: expiresAt, revokedAt: revokedAt,
                                           lastUsedAt: lastUsedAt, createdAt: createdAt))
            }
            return result
        }
    }

    func revokeAPIKey(_ id: UUID, tenant: String, reason: String?, actor: String) async throws {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            var found: (String, UUID, Date?)?
            for try await row in try await connection.query("""
                SELECT prefix, principal_id, revoked_at FROM governance.api_keys WHERE id = \(id) AND tenant_id = \(tenant) FOR UPDATE
                """, logger: logger).decode((String, UUID, Date?).self) { found = row }
            guard let (prefix, principal, revokedAt) = found else { throw GovernanceError.notFound("API key \(id.uuidString.lowercased())") }
            guard revokedAt == nil else { return }
            let now = Date()
            try await count("UPDATE governance.api_keys SET revoked_at = \(now) WHERE id = \(id)", on: connection)
            try await emit(GovernanceEvent.APIKeyRevoked(keyID: id.uuidString.lowercased(), prefix: prefix, principalID: principal.uuidString.lowercased(),
                                                         reason: reason, revokedBy: actor, revokedAt: now),
                           subject: "principals/\(principal.uuidString.lowercased())", tenant: tenant, actor: actor, on: connection)
        }
    }

    /// The principal an API key stands for, if the key is valid (right secret, not expired or
    /// revoked, principal and tenant enabled); records its last use. Every failure is the same error.
    func authenticate(_ text: String) async throws -> (tenant: String, principal: PrincipalRecord) {
        guard let key = APIKeySecret(parsing: text) else { throw GovernanceError.invalidCredentials }
        let tenant = try await client.transaction(logger: logger) { connection -> String? in
            var tenant: String?
            for try await found in try await connection.query("""
                SELECT l.tenant_id FROM governance.api_key_lookup l JOIN governance.tenants t ON t.id = l.tenant_id
                WHERE l.prefix = \(key.prefix) AND t.disabled_at IS NULL
                """, logger: logger).decode(String.self) { tenant = found }
            return tenant
        }
        guard let tenant else { throw GovernanceError.invalidCredentials }
        return try await client.withTenantTransaction(tenant, logger: logger) { connection in
            var row: (UUID, ByteBuffer, UUID, Date?, Date?)?
            for try await found in try await connection.query("""
                SELECT id, secret_hash, principal_id, expires_at, revoked_at FROM governance.api_keys WHERE prefix = \(key.prefix) AND tenant_id = \(tenant)
                """, logger: logger).decode((UUID, ByteBuffer, UUID, Date?, Date?).self) { row = found }
            guard let (id, stored, principalID, expiresAt, revokedAt) = row, APIKeySecret.matches(Array(stored.readableBytesView), key.hash),
                  revokedAt == nil, expiresAt.map({ $0 > Date() }) ?? true else { throw GovernanceError.invalidCredentials }
            let principal = try await self.principal(principalID, tenant: tenant, on: connection)
            guard principal.disabledAt == nil else { throw GovernanceError.invalidCredentials }
            try await count("UPDATE governance.api_keys SET last_used_at = \(Date()) WHERE id = \(id)", on: connection)
            return (tenant, principal)
        }
    }

    // MARK: signing keys

    /// Makes sure a key can sign: on first start, one that signs at once (no verifier has
    /// cached anything yet).
    func ensureSigningKey() async throws {
        try await client.transaction(logger: logger) { connection in
            try await count("SELECT pg_advisory_xact_lock(hashtext('governance.signing_keys'))", on: connection)
            guard try await count("SELECT 1 FROM governance.signing_keys WHERE retires_at IS NULL", on: connection) == 0 else { return }
            let material = try SigningKeyMaterial.generate()
            let now = Date()
            try await count("""
                INSERT INTO governance.signing_keys VALUES (\(material.kid), \(material.privatePEM), \(material.publicJWK), \(now), \(now), NULL)
                """, on: connection)
        }
    }

    /// Starts a new key: published now, signing after `lead` (so every verifier has fetched it
    /// first); the current key keeps signing until then and stays published until its last
    /// token has expired.
    func rotateSigningKey(lead: Duration, tokenLifetime: Duration) async throws -> String {
        try await client.transaction(logger: logger) { connection in
            try await count("SELECT pg_advisory_xact_lock(hashtext('governance.signing_keys'))", on: connection)
            let material = try SigningKeyMaterial.generate()
            let now = Date()
            let activates = now.addingTimeInterval(lead.seconds)
            try await count("""
                UPDATE governance.signing_keys SET retires_at = \(activates.addingTimeInterval(tokenLifetime.seconds + 60))
                WHERE retires_at IS NULL
                """, on: connection)
            try await count("""
                INSERT INTO governance.signing_keys VALUES (\(material.kid), \(material.privatePEM), \(material.publicJWK), \(now), \(activates), NULL)
                """, on: connection)
            return material.kid
        }
    }

    /// The published keys: every key not yet retired.
    func jwks() async throws -> Data {
        let keys = try await client.transaction(logger: logger) { connection in
            var keys: [String] = []
            for try await jwk in try await connection.query("""
                SELECT public_jwk FROM governance.signing_keys WHERE retires_at IS NULL OR retires_at > now() ORDER BY created_at
                """, logger: logger).decode(String.self) { keys.append(jwk) }
            return keys
        }
        return Data(#"{"keys":[\#(keys.joined(separator: ","))]}"#.utf8)
    }

    /// A signed access token for the principal, from the newest key that may sign.
    func issueToken(tenant: String, principal: PrincipalRecord, lifetime: Duration) async throws -> String {
        let signer = try await client.transaction(logger: logger) { connection -> (String, String)? in
            var key: (String, String)?
            for try await row in try await connection.query("""
                SELECT kid, private_pem FROM governance.signing_keys WHERE activates_at <= now() AND (retires_at IS NULL OR retires_at > now())
                ORDER BY activates_at DESC LIMIT 1
                """, logger: logger).decode((String, String).self) { key = row }
            return key
        }
        guard let (kid, pem) = signer else { throw GovernanceError.internalState("no signing key is active") }
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: pem), kid: JWKIdentifier(string: kid))
        let now = Date()
        let claims = MaestroClaims(subject: principal.name, tenant: tenant, roles: principal.roles, issuedAt: now,
                                   expiresAt: now.addingTimeInterval(lifetime.seconds), id: UUIDv7.string())
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
