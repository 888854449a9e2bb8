import Foundation
import MaestroEvents
import MaestroPostgres
import PostgresNIO

extension ApprovalStore {
    struct Summary: Sendable {
        let id: UUID
        let subject: String
        let state: String
        let requestedBy: String
        let requestedAt: Date
        let expiresAt: Date
        let decidedAt: Date?
    }

    /// Requests of the tenant, newest first, filtered by state, subject and requester.
    func list(tenant: String, state: String?, subject: String?, requester: String?, limit: Int) async throws -> [Summary] {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
            var query = QueryBuilder("SELECT id, subject, state, requested_by, requested_at, expires_at, decided_at FROM governance.approval_requests WHERE tenant_id = ")
            query.append(query.bind(tenant))
            if let state { query.append(" AND state = \(query.bind(state))") }
            if let subject { query.append(" AND subject = \(query.bind(subject))") }
            if let requester { query.append(" AND requested_by = \(query.bind(requester))") }
            query.append(" ORDER BY requested_at DESC, id LIMIT \(query.bind(limit))")
            var result: [Summary] = []
            for try await (id, subject, state, requestedBy, requestedAt, expiresAt, decidedAt) in try await connection.query(query.query, logger: logger)
                .decode((UUID, String, String, String, Date, Date, Date?).self) {
                result.append(Summary(id: id, subject: subject, state: state, requestedBy: requestedBy, requestedAt: requestedAt,
                                      expiresAt: expiresAt, decidedAt: decidedAt))
            }
            return result
        }
    }

    struct Comment: Sendable {
        let principal: String
        let comment: String
        let at: Date
    }

    /// Adds a comment to a request in any state (discussion, apart from decisions).
    func comment(_ id: UUID, tenant: String, principal: String, text: String) async throws -> [Comment] {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
            _ = try await load(id, tenant: tenant, lock: true, on: connection)
            try await identity.count("""
                INSERT INTO governance.approval_comments
                SELECT \(tenant), \(id), COALESCE(max(seq), 0) + 1, \(principal), \(text), \(Date()) FROM governance.approval_comments WHERE approval_id = \(id)
                """, on: connection)
            return try await comments(id, on: connection)
        }
    }

    func comments(_ id: UUID, on connection: PostgresConnection) async throws -> [Comment] {
        var result: [Comment] = []
        for try await (principal, text, at) in try await connection.query("""
            SELECT principal, comment, commented_at FROM governance.approval_comments WHERE approval_id = \(id) ORDER BY seq
            """, logger: logger).decode((String, String, Date).self) {
            result.append(Comment(principal: principal, comment: text, at: at))
        }
        return result
    }

    func comments(_ id: UUID, tenant: String) async throws -> [Comment] {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
            _ = try await load(id, tenant: tenant, lock: false, on: connection)
            return try await comments(id, on: connection)
        }
    }

    func get(_ id: UUID, tenant: String) async throws -> StoredApproval {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { try await load(id, tenant: tenant, lock: false, on: $0) }
    }

    func policy(tenant: String, model: String?) async throws -> StoredPolicy {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { try await effectivePolicy(tenant: tenant, model: model, on: $0) }
    }
}
