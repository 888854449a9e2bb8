import Foundation
import MaestroDomain
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

    /// Requests of the caller's tenant, newest first, filtered by state, subject and requester.
    func list(state: String?, subject: String?, requester: String?, limit: Int, as caller: Caller) async throws -> [Summary] {
        try await database.transaction(caller) { tx in
            var query = QueryBuilder("SELECT id, subject, state, requested_by, requested_at, expires_at, decided_at FROM governance.approval_requests WHERE tenant_id = ")
            query.append(query.bind(tx.tenant))
            if let state { query.append(" AND state = \(query.bind(state))") }
            if let subject { query.append(" AND subject = \(query.bind(subject))") }
            if let requester { query.append(" AND requested_by = \(query.bind(requester))") }
            query.append(" ORDER BY requested_at DESC, id LIMIT \(query.bind(limit))")
            var result: [Summary] = []
            for try await (id, subject, state, requestedBy, requestedAt, expiresAt, decidedAt) in try await tx.query(query.query)
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

    /// Adds the caller's comment to a request in any state (discussion, apart from decisions).
    func comment(_ id: UUID, text: String, as caller: Caller) async throws -> [Comment] {
        try await database.transaction(caller) { tx in
            _ = try await load(id, lock: true, on: tx)
            try await tx.execute("""
                INSERT INTO governance.approval_comments
                SELECT \(tx.tenant), \(id), COALESCE(max(seq), 0) + 1, \(caller.subject), \(text), \(Date()) FROM governance.approval_comments WHERE approval_id = \(id)
                """)
            return try await comments(id, on: tx)
        }
    }

    func comments(_ id: UUID, on tx: GovernanceTransaction) async throws -> [Comment] {
        var result: [Comment] = []
        for try await (principal, text, at) in try await tx.query("""
            SELECT principal, comment, commented_at FROM governance.approval_comments WHERE approval_id = \(id) ORDER BY seq
            """).decode((String, String, Date).self) {
            result.append(Comment(principal: principal, comment: text, at: at))
        }
        return result
    }

    func comments(_ id: UUID, as caller: Caller) async throws -> [Comment] {
        try await database.transaction(caller) { tx in
            _ = try await load(id, lock: false, on: tx)
            return try await comments(id, on: tx)
        }
    }

    func get(_ id: UUID, as caller: Caller) async throws -> StoredApproval {
        try await database.transaction(caller) { tx in try await load(id, lock: false, on: tx) }
    }

    func policy(model: String?, as caller: Caller) async throws -> StoredPolicy {
        try await database.transaction(caller) { tx in try await effectivePolicy(model: model, on: tx) }
    }
}
