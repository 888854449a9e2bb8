import Foundation
import Logging
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

typealias GovernanceDatabase = ServiceDatabase<GovernanceEvent>
typealias GovernanceTransaction = TenantTransaction<GovernanceEvent>

/// Tenants, principals, role bindings and API keys in PostgreSQL schema `governance`, each
/// change with its event in the outbox of the same transaction. Events never carry a secret.
struct IdentityStore: Sendable {
    let database: GovernanceDatabase
    /// The tenant whose admins administer the platform; the bootstrap creates it.
    let platformTenant: String

    var logger: Logger { database.logger }

    struct PrincipalRecord: Sendable, Equatable {
        let id: UUID
        let name: String
        let kind: String
        let roles: [String]
        let createdAt: Date
        let disabledAt: Date?
    }

    struct APIKeyRecord: Sendable, Equatable {
        let id: UUID
        let prefix: String
        let principalID: UUID
        let name: String?
        let expiresAt: Date?
        let revokedAt: Date?
        let lastUsedAt: Date?
        let createdAt: Date
    }

    /// A valid API key and who holds it.
    struct AuthenticatedKey: Sendable {
        let tenant: String
        let principal: PrincipalRecord
        let keyID: UUID
        let prefix: String

        /// Whether an OAuth `client_id` names this key: its id (any case) or its prefix.
        func isNamed(by clientID: String) -> Bool {
            clientID == prefix || UUID(uuidString: clientID) == keyID
        }
    }

    // MARK: tenants

    /// Creates tenant `id`; its event belongs to the new tenant, with `caller` as its actor.
    func createTenant(id: String, displayName: String?, as caller: Caller) async throws {
        try await database.transaction(Caller(tenant: id, subject: caller.subject, roles: caller.roles)) { tx in
            let now = Date()
            let inserted = try await tx.countRows("""
                INSERT INTO governance.tenants VALUES (\(id), \(displayName), \(caller.subject), \(now), NULL) ON CONFLICT DO NOTHING RETURNING 1
                """)
            guard inserted == 1 else { throw GovernanceError.alreadyExists("Tenant '\(id)'") }
            try await tx.emit(GovernanceEvent.TenantCreated(tenantID: id, displayName: displayName, createdBy: caller.subject, createdAt: now),
                              key: "tenants/\(id)", subject: "tenants/\(id)")
        }
    }

    /// Every tenant (the table has no row-level security: tenants are the platform's).
    func tenants() async throws -> [(id: String, displayName: String?, createdAt: Date)] {
        try await database.platformTransaction { tx in
            var result: [(String, String?, Date)] = []
            for try await row in try await tx.query("SELECT id, display_name, created_at FROM governance.tenants ORDER BY id")
                .decode((String, String?, Date).self) { result.append(row) }
            return result
        }
    }

    // MARK: principals and roles

    func createPrincipal(name: String, kind: String, roles: [String], as caller: Caller) async throws -> PrincipalRecord {
        try await database.transaction(caller) { tx in
            guard try await tx.countRows("SELECT 1 FROM governance.tenants WHERE id = \(tx.tenant) AND disabled_at IS NULL") == 1 else {
                throw GovernanceError.notFound("Tenant '\(tx.tenant)'")
            }
            let id = UUID()
            let now = Date()
            let inserted = try await tx.countRows("""
                INSERT INTO governance.principals VALUES (\(tx.tenant), \(id), \(name), \(kind), \(caller.subject), \(now), NULL) ON CONFLICT DO NOTHING RETURNING 1
                """)
            guard inserted == 1 else { throw GovernanceError.alreadyExists("Principal '\(name)'") }
            let subject = Self.subject(of: id)
            try await tx.emit(GovernanceEvent.PrincipalCreated(principalID: id.uuidString.lowercased(), kind: GovernanceEvent.PrincipalKind(rawValue: kind) ?? .user,
                                                               displayName: name, createdBy: caller.subject, createdAt: now),
                              key: subject, subject: subject)
            for role in roles { try await bind(role, to: id, on: tx) }
            return try await principal(id, on: tx)
        }
    }

    func principal(_ id: UUID, as caller: Caller) async throws -> PrincipalRecord {
        try await database.transaction(caller) { tx in try await principal(id, on: tx) }
    }

    func principals(as caller: Caller) async throws -> [PrincipalRecord] {
        try await database.transaction(caller) { tx in
            guard try await tx.countRows("SELECT 1 FROM governance.tenants WHERE id = \(tx.tenant)") == 1 else {
                throw GovernanceError.notFound("Tenant '\(tx.tenant)'")
            }
            var ids: [UUID] = []
            for try await id in try await tx.query("SELECT id FROM governance.principals WHERE tenant_id = \(tx.tenant) ORDER BY name").decode(UUID.self) {
                ids.append(id)
            }
            var result: [PrincipalRecord] = []
            for id in ids { result.append(try await principal(id, on: tx)) }
            return result
        }
    }

    func principal(_ id: UUID, on tx: GovernanceTransaction) async throws -> PrincipalRecord {
        for try await (name, kind, createdAt, disabledAt, roles) in try await tx.query("""
            SELECT p.name, p.kind, p.created_at, p.disabled_at,
                COALESCE((SELECT array_agg(r.role ORDER BY r.role) FROM governance.role_bindings r WHERE r.principal_id = p.id), '{}')
            FROM governance.principals p WHERE p.id = \(id) AND p.tenant_id = \(tx.tenant)
            """).decode((String, String, Date, Date?, [String]).self) {
            return PrincipalRecord(id: id, name: name, kind: kind, roles: roles, createdAt: createdAt, disabledAt: disabledAt)
        }
        throw GovernanceError.notFound("Principal \(id.uuidString.lowercased())")
    }

    func disablePrincipal(_ id: UUID, reason: String?, as caller: Caller) async throws -> PrincipalRecord {
        try await database.transaction(caller) { tx in
            let now = Date()
            let changed = try await tx.countRows("""
                UPDATE governance.principals SET disabled_at = \(now) WHERE id = \(id) AND tenant_id = \(tx.tenant) AND disabled_at IS NULL RETURNING 1
                """)
            if changed == 1 {
                let subject = Self.subject(of: id)
                try await tx.emit(GovernanceEvent.PrincipalDisabled(principalID: id.uuidString.lowercased(), reason: reason, disabledBy: caller.subject,
                                                                    disabledAt: now),
                                  key: subject, subject: subject)
            }
            return try await principal(id, on: tx)
        }
    }

    func bind(_ role: String, to principal: UUID, as caller: Caller) async throws -> PrincipalRecord {
        try await database.transaction(caller) { tx in
            _ = try await self.principal(principal, on: tx)
            try await bind(role, to: principal, on: tx)
            return try await self.principal(principal, on: tx)
        }
    }

    /// Binds `role`; binding a role the principal holds changes nothing and emits nothing.
    private func bind(_ role: String, to principal: UUID, on tx: GovernanceTransaction) async throws {
        let id = UUID()
        let now = Date()
        let inserted = try await tx.countRows("""
            INSERT INTO governance.role_bindings VALUES (\(tx.tenant), \(id), \(principal), \(role), \(tx.caller.subject), \(now)) ON CONFLICT DO NOTHING RETURNING 1
            """)
        guard inserted == 1, let bound = GovernanceEvent.Role(rawValue: role) else { return }
        let subject = Self.subject(of: principal)
        try await tx.emit(GovernanceEvent.RoleBindingCreated(bindingID: id.uuidString.lowercased(), principalID: principal.uuidString.lowercased(),
                                                             role: bound, createdBy: tx.caller.subject, createdAt: now),
                          key: subject, subject: subject)
    }

    func unbind(_ role: String, from principal: UUID, as caller: Caller) async throws -> PrincipalRecord {
        try await database.transaction(caller) { tx in
            _ = try await self.principal(principal, on: tx)
            var removed: UUID?
            for try await id in try await tx.query("""
                DELETE FROM governance.role_bindings WHERE principal_id = \(principal) AND role = \(role) AND tenant_id = \(tx.tenant) RETURNING id
                """).decode(UUID.self) { removed = id }
            guard let removed, let bound = GovernanceEvent.Role(rawValue: role) else {
                throw GovernanceError.notFound("Role binding \(role) of principal \(principal.uuidString.lowercased())")
            }
            let subject = Self.subject(of: principal)
            try await tx.emit(GovernanceEvent.RoleBindingRevoked(bindingID: removed.uuidString.lowercased(), principalID: principal.uuidString.lowercased(),
                                                                 role: bound, revokedBy: caller.subject, revokedAt: Date()),
                              key: subject, subject: subject)
            return try await self.principal(principal, on: tx)
        }
    }

    /// The subject and Kafka key of a principal's events.
    static func subject(of principal: UUID) -> String {
        "principals/\(principal.uuidString.lowercased())"
    }
}
