import Foundation
import JWTKit
import Logging
import MaestroEvents
import MaestroPostgres
import MaestroService
import PostgresNIO

/// Tenants, principals, role bindings and API keys in PostgreSQL schema `governance`, each
/// change with its event in the outbox of the same transaction. Events never carry a secret.
struct IdentityStore: Sendable {
    static let schema = "governance"
    static let source = "/maestro/governance"

    let client: PostgresClient
    let outbox: Outbox
    let logger: Logger

    init(client: PostgresClient, settings: PostgresSettings, logger: Logger) {
        self.client = client
        self.outbox = Outbox(settings: settings)
        self.logger = logger
    }

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

    func emit<Payload: EventPayload>(_ payload: Payload, subject: String, tenant: String, actor: String, on connection: PostgresConnection) async throws {
        let event = try CloudEvent(source: Self.source, subject: subject, tenant: tenant, payload: payload, authId: actor)
        try await outbox.enqueue(event, topic: .governanceEvents, key: subject, on: connection, logger: logger)
    }

    @discardableResult
    func count(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(query, logger: logger) { count += 1 }
        return count
    }

    // MARK: tenants

    func createTenant(id: String, displayName: String?, actor: String) async throws {
        try await client.withTenantTransaction(id, logger: logger) { connection in
            let now = Date()
            let inserted = try await count("""
                INSERT INTO governance.tenants VALUES (\(id), \(displayName), \(actor), \(now), NULL) ON CONFLICT DO NOTHING RETURNING 1
                """, on: connection)
            guard inserted == 1 else { throw GovernanceError.alreadyExists("Tenant '\(id)'") }
            try await emit(GovernanceEvent.TenantCreated(tenantID: id, displayName: displayName, createdBy: actor, createdAt: now),
                           subject: "tenants/\(id)", tenant: id, actor: actor, on: connection)
        }
    }

    func tenants() async throws -> [(id: String, displayName: String?, createdAt: Date)] {
        try await client.transaction(logger: logger) { connection in
            var result: [(String, String?, Date)] = []
            for try await row in try await connection.query("SELECT id, display_name, created_at FROM governance.tenants ORDER BY id", logger: logger)
                .decode((String, String?, Date).self) { result.append(row) }
            return result
        }
    }

    // MARK: principals and roles

    func createPrincipal(tenant: String, name: String, kind: String, roles: [String], actor: String) async throws -> PrincipalRecord {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            guard try await count("SELECT 1 FROM governance.tenants WHERE id = \(tenant) AND disabled_at IS NULL", on: connection) == 1 else {
                throw GovernanceError.notFound("Tenant '\(tenant)'")
            }
            let id = UUID()
            let now = Date()
            let inserted = try await count("""
                INSERT INTO governance.principals VALUES (\(tenant), \(id), \(name), \(kind), \(actor), \(now), NULL) ON CONFLICT DO NOTHING RETURNING 1
                """, on: connection)
            guard inserted == 1 else { throw GovernanceError.alreadyExists("Principal '\(name)'") }
            try await emit(GovernanceEvent.PrincipalCreated(principalID: id.uuidString.lowercased(), kind: GovernanceEvent.PrincipalKind(rawValue: kind) ?? .user,
                                                            displayName: name, createdBy: actor, createdAt: now),
                           subject: "principals/\(id.uuidString.lowercased())", tenant: tenant, actor: actor, on: connection)
            for role in roles { try await bind(role, to: id, tenant: tenant, actor: actor, on: connection) }
            return try await principal(id, tenant: tenant, on: connection)
        }
    }

    func principal(_ id: UUID, tenant: String) async throws -> PrincipalRecord {
        try await client.withTenantTransaction(tenant, logger: logger) { try await principal(id, tenant: tenant, on: $0) }
    }

    func principals(tenant: String) async throws -> [PrincipalRecord] {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            guard try await count("SELECT 1 FROM governance.tenants WHERE id = \(tenant)", on: connection) == 1 else {
                throw GovernanceError.notFound("Tenant '\(tenant)'")
            }
            var ids: [UUID] = []
            for try await id in try await connection.query("SELECT id FROM governance.principals WHERE tenant_id = \(tenant) ORDER BY name", logger: logger)
                .decode(UUID.self) { ids.append(id) }
            var result: [PrincipalRecord] = []
            for id in ids { result.append(try await principal(id, tenant: tenant, on: connection)) }
            return result
        }
    }

    func principal(_ id: UUID, tenant: String, on connection: PostgresConnection) async throws -> PrincipalRecord {
        for try await (name, kind, createdAt, disabledAt, roles) in try await connection.query("""
            SELECT p.name, p.kind, p.created_at, p.disabled_at,
                COALESCE((SELECT array_agg(r.role ORDER BY r.role) FROM governance.role_bindings r WHERE r.principal_id = p.id), '{}')
            FROM governance.principals p WHERE p.id = \(id) AND p.tenant_id = \(tenant)
            """, logger: logger).decode((String, String, Date, Date?, [String]).self) {
            return PrincipalRecord(id: id, name: name, kind: kind, roles: roles, createdAt: createdAt, disabledAt: disabledAt)
        }
        throw GovernanceError.notFound("Principal \(id.uuidString.lowercased())")
    }

    func disablePrincipal(_ id: UUID, tenant: String, reason: String?, actor: String) async throws -> PrincipalRecord {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            let now = Date()
            let changed = try await count("""
                UPDATE governance.principals SET disabled_at = \(now) WHERE id = \(id) AND tenant_id = \(tenant) AND disabled_at IS NULL RETURNING 1
                """, on: connection)
            if changed == 1 {
                try await emit(GovernanceEvent.PrincipalDisabled(principalID: id.uuidString.lowercased(), reason: reason, disabledBy: actor, disabledAt: now),
                               subject: "principals/\(id.uuidString.lowercased())", tenant: tenant, actor: actor, on: connection)
            }
            return try await principal(id, tenant: tenant, on: connection)
        }
    }

    func bind(_ role: String, to principal: UUID, tenant: String, actor: String) async throws -> PrincipalRecord {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            _ = try await self.principal(principal, tenant: tenant, on: connection)
            try await bind(role, to: principal, tenant: tenant, actor: actor, on: connection)
            return try await self.principal(principal, tenant: tenant, on: connection)
        }
    }

    private func bind(_ role: String, to principal: UUID, tenant: String, actor: String, on connection: PostgresConnection) async throws {
        let id = UUID()
        let now = Date()
        let inserted = try await count("""
            INSERT INTO governance.role_bindings VALUES (\(tenant), \(id), \(principal), \(role), \(actor), \(now)) ON CONFLICT DO NOTHING RETURNING 1
            """, on: connection)
        guard inserted == 1, let bound = GovernanceEvent.Role(rawValue: role) else { return }
        try await emit(GovernanceEvent.RoleBindingCreated(bindingID: id.uuidString.lowercased(), principalID: principal.uuidString.lowercased(),
                                                          role: bound, createdBy: actor, createdAt: now),
                       subject: "principals/\(principal.uuidString.lowercased())", tenant: tenant, actor: actor, on: connection)
    }

    func unbind(_ role: String, from principal: UUID, tenant: String, actor: String) async throws -> PrincipalRecord {
        try await client.withTenantTransaction(tenant, logger: logger) { connection in
            _ = try await self.principal(principal, tenant: tenant, on: connection)
            var removed: UUID?
            for try await id in try await connection.query("""
                DELETE FROM governance.role_bindings WHERE principal_id = \(principal) AND role = \(role) AND tenant_id = \(tenant) RETURNING id
                """, logger: logger).decode(UUID.self) { removed = id }
            guard let removed, let bound = GovernanceEvent.Role(rawValue: role) else {
                throw GovernanceError.notFound("Role binding \(role) of principal \(principal.uuidString.lowercased())")
            }
            try await emit(GovernanceEvent.RoleBindingRevoked(bindingID: removed.uuidString.lowercased(), principalID: principal.uuidString.lowercased(),
                                                              role: bound, revokedBy: actor, revokedAt: Date()),
                           subject: "principals/\(principal.uuidString.lowercased())", tenant: tenant, actor: actor, on: connection)
            return try await self.principal(principal, tenant: tenant, on: connection)
        }
    }
}
