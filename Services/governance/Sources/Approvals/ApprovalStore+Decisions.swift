import Foundation
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// A stored request with what the state machine needs.
struct StoredApproval: Sendable {
    let id: UUID
    let subject: String
    let promotion: GovernanceEvent.PromotionRef?
    let correlationID: String?
    let expiresAt: Date
    var request: ApprovalRequest
}

extension ApprovalStore {
    /// A reviewer's approval or rejection, through the state machine; a refusal is thrown
    /// as ``ApprovalRequest/Refusal`` and changes nothing.
    func decide(_ id: UUID, tenant: String, principal: String, roles: Set<String>, approve: Bool, comment: String?) async throws -> StoredApproval {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
            var stored = try await load(id, tenant: tenant, lock: true, on: connection)
            let now = Date()
            let outcome = try stored.request.decide(by: principal, roles: roles, approve: approve, comment: comment, at: now)
            try await identity.count("""
                INSERT INTO governance.approval_decisions VALUES (\(tenant), \(id), \(stored.request.decisions.count), \(principal), \(approve), \(comment), \(now))
                """, on: connection)
            let approval = id.uuidString.lowercased()
            try await emit(GovernanceEvent.ApprovalDecisionRecorded(approvalID: approval, subject: stored.subject, decision: approve ? .approve : .reject,
                                                                    comment: comment, approvals: stored.request.approvals,
                                                                    requiredApprovals: stored.request.policy.requiredApprovals, decidedBy: principal, decidedAt: now),
                           subject: stored.subject, tenant: tenant, actor: principal, cause: nil, correlation: stored.correlationID, on: connection)
            switch outcome {
            case .approved:
                try await finish(stored, state: .approved, at: now, on: connection)
                try await emit(GovernanceEvent.ApprovalGranted(approvalID: approval, subject: stored.subject, promotion: stored.promotion,
                                                               approvers: stored.request.decisions.filter(\.approve).map(\.principal), grantedAt: now),
                               subject: stored.subject, tenant: tenant, actor: principal, cause: nil, correlation: stored.correlationID, on: connection)
            case .rejected:
                try await finish(stored, state: .rejected, at: now, on: connection)
                try await emit(GovernanceEvent.ApprovalRejected(approvalID: approval, subject: stored.subject, promotion: stored.promotion, comment: comment,
                                                                rejectedBy: principal, rejectedAt: now),
                               subject: stored.subject, tenant: tenant, actor: principal, cause: nil, correlation: stored.correlationID, on: connection)
            case .recorded, .expired, .cancelled:
                break
            }
            return stored
        }
    }

    /// Withdraws a pending request (the requester or an admin); a promotion closes unchanged.
    func cancel(_ id: UUID, tenant: String, principal: String, isAdmin: Bool, reason: String?) async throws -> StoredApproval {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
            var stored = try await load(id, tenant: tenant, lock: true, on: connection)
            _ = try stored.request.cancel(by: principal, isAdmin: isAdmin)
            let now = Date()
            try await finish(stored, state: .cancelled, at: now, on: connection)
            try await emit(GovernanceEvent.ApprovalCancelled(approvalID: id.uuidString.lowercased(), subject: stored.subject, promotion: stored.promotion,
                                                             reason: reason, cancelledBy: principal, cancelledAt: now),
                           subject: stored.subject, tenant: tenant, actor: principal, cause: nil, correlation: stored.correlationID, on: connection)
            return stored
        }
    }

    func load(_ id: UUID, tenant: String, lock: Bool, on connection: PostgresConnection) async throws -> StoredApproval {
        var row: (String, String?, String, String, String, Date, Date, String?)?
        for try await found in try await connection.query("""
            SELECT subject, promotion::text, policy::text, state, requested_by, requested_at, expires_at, correlation_id
            FROM governance.approval_requests WHERE id = \(id) AND tenant_id = \(tenant) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger).decode((String, String?, String, String, String, Date, Date, String?).self) { row = found }
        guard let (subject, promotionText, policyText, stateText, requester, requestedAt, expiresAt, correlation) = row else {
            throw GovernanceError.notFound("Approval request \(id.uuidString.lowercased())")
        }
        var checks: [CheckResult] = []
        for try await (name, kind, passed, reason, evidence) in try await connection.query("""
            SELECT name, kind, passed, reason, evidence::text FROM governance.approval_checks WHERE approval_id = \(id) ORDER BY name
            """, logger: logger).decode((String, String, Bool, String, String).self) {
            checks.append(CheckResult(name: name, kind: GovernanceEvent.CheckKind(rawValue: kind) ?? .metricThreshold, passed: passed, reason: reason,
                                      evidence: (try? JSONDecoder().decode([String: ScalarValue].self, from: Data(evidence.utf8))) ?? [:]))
        }
        var decisions: [ApprovalRequest.Decision] = []
        for try await (principal, approve, comment, at) in try await connection.query("""
            SELECT principal, approve, comment, decided_at FROM governance.approval_decisions WHERE approval_id = \(id) ORDER BY seq
            """, logger: logger).decode((String, Bool, String?, Date).self) {
            decisions.append(ApprovalRequest.Decision(principal: principal, approve: approve, comment: comment, at: at))
        }
        let promotion = try promotionText.map { try JSONDecoder().decode(GovernanceEvent.PromotionRef.self, from: Data($0.utf8)) }
        let request = ApprovalRequest(restoring: ApprovalRequest.State(rawValue: stateText) ?? .pending, policy: try Self.decode(policyText),
                                      requester: requester, requestedAt: requestedAt, expiresAt: expiresAt, checks: checks, decisions: decisions)
        return StoredApproval(id: id, subject: subject, promotion: promotion, correlationID: correlation, expiresAt: expiresAt, request: request)
    }

    private func finish(_ stored: StoredApproval, state: ApprovalRequest.State, at now: Date, on connection: PostgresConnection) async throws {
        try await identity.count("""
            UPDATE governance.approval_requests SET state = \(state.rawValue), decided_at = \(now) WHERE id = \(stored.id)
            """, on: connection)
    }

    /// Expires every pending request past its time, in every tenant; returns how many. Runs
    /// from the scheduler, so expiry survives restarts (the deadline is in the row).
    func expireDue(tenants: [String]) async throws -> Int {
        var expired = 0
        for tenant in tenants {
            expired += try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
                var due: [UUID] = []
                for try await id in try await connection.query("""
                    SELECT id FROM governance.approval_requests WHERE tenant_id = \(tenant) AND state = 'PENDING' AND expires_at <= now()
                    ORDER BY expires_at LIMIT 500 FOR UPDATE SKIP LOCKED
                    """, logger: logger).decode(UUID.self) { due.append(id) }
                var count = 0
                for id in due {
                    var stored = try await load(id, tenant: tenant, lock: false, on: connection)
                    let now = Date()
                    guard stored.request.expire(at: now) == .expired else { continue }
                    count += 1
                    try await finish(stored, state: .expired, at: now, on: connection)
                    try await emit(GovernanceEvent.ApprovalExpired(approvalID: id.uuidString.lowercased(), subject: stored.subject, promotion: stored.promotion,
                                                                   approvals: stored.request.approvals, requiredApprovals: stored.request.policy.requiredApprovals,
                                                                   expiredAt: now),
                                   subject: stored.subject, tenant: tenant, actor: "governance", cause: nil, correlation: stored.correlationID, on: connection)
                }
                return count
            }
        }
        return expired
    }
}
