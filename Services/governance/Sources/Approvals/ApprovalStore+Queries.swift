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

    func get(_ id: UUID, tenant: String) async throws -> StoredApproval {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { try await load(id, tenant: tenant, lock: false, on: $0) }
    }

    func policy(tenant: String, model: String?) async throws -> StoredPolicy {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { try await effectivePolicy(tenant: tenant, model: model, on: $0) }
    }
}
