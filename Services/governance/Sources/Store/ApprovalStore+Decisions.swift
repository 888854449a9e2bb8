import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// A stored request with what the state machine needs.
struct StoredApproval: Sendable {
    let id: UUID
    let subject: String
    let promotion: GovernanceEvent.PromotionRef?
    let correlationID: String?
    /// The trace of the promotion (or request) that opened it; decisions' events join it.
    let traceParent: String?
    let expiresAt: Date
    var request: ApprovalRequest
}

extension ApprovalStore {
    /// The caller's approval or rejection, through the state machine; a refusal is thrown
    /// as ``ApprovalRequest/Refusal`` and changes nothing.
    func decide(_ id: UUID, approve: Bool, comment: String?, as caller: Caller) async throws -> StoredApproval {
        try await database.transaction(caller) { tx in
            var stored = try await load(id, lock: true, on: tx)
            let now = Date()
            let principal = caller.subject
            let outcome = try stored.request.decide(by: principal, roles: Set(caller.roles.map(\.rawValue)), approve: approve, comment: comment, at: now)
            try await tx.execute("""
                INSERT INTO governance.approval_decisions VALUES (\(tx.tenant), \(id), \(stored.request.decisions.count), \(principal), \(approve), \(comment), \(now))
                """)
            let approval = id.uuidString.lowercased()
            try await tx.emit(GovernanceEvent.ApprovalDecisionRecorded(approvalID: approval, subject: stored.subject, decision: approve ? .approve : .reject,
                                                                       comment: comment, approvals: stored.request.approvals,
                                                                       requiredApprovals: stored.request.policy.requiredApprovals, decidedBy: principal,
                                                                       decidedAt: now),
                              key: stored.subject, subject: stored.subject, correlation: stored.correlationID, trace: stored.traceParent)
            switch outcome {
            case .approved:
                try await finish(stored, state: .approved, at: now, on: tx)
                try await tx.emit(GovernanceEvent.ApprovalGranted(approvalID: approval, subject: stored.subject, promotion: stored.promotion,
                                                                  approvers: stored.request.decisions.filter(\.approve).map(\.principal), grantedAt: now),
                                  key: stored.subject, subject: stored.subject, correlation: stored.correlationID, trace: stored.traceParent)
            case .rejected:
                try await finish(stored, state: .rejected, at: now, on: tx)
                try await tx.emit(GovernanceEvent.ApprovalRejected(approvalID: approval, subject: stored.subject, promotion: stored.promotion, comment: comment,
                                                                   rejectedBy: principal, rejectedAt: now),
                                  key: stored.subject, subject: stored.subject, correlation: stored.correlationID, trace: stored.traceParent)
            case .recorded, .expired, .cancelled:
                break
            }
            return stored
        }
    }

    /// Withdraws a pending request (the requester or an admin); a promotion closes unchanged.
    func cancel(_ id: UUID, reason: String?, as caller: Caller) async throws -> StoredApproval {
        try await database.transaction(caller) { tx in
            var stored = try await load(id, lock: true, on: tx)
            _ = try stored.request.cancel(by: caller.subject, isAdmin: caller.has(.admin))
            let now = Date()
            try await finish(stored, state: .cancelled, at: now, on: tx)
            try await tx.emit(GovernanceEvent.ApprovalCancelled(approvalID: id.uuidString.lowercased(), subject: stored.subject, promotion: stored.promotion,
                                                                reason: reason, cancelledBy: caller.subject, cancelledAt: now),
                              key: stored.subject, subject: stored.subject, correlation: stored.correlationID, trace: stored.traceParent)
            return stored
        }
    }

    func load(_ id: UUID, lock: Bool, on tx: GovernanceTransaction) async throws -> StoredApproval {
        var row: (String, String?, String, String, String, Date, Date, String?, String?)?
        for try await found in try await tx.query("""
            SELECT subject, promotion::text, policy::text, state, requested_by, requested_at, expires_at, correlation_id, trace_parent
            FROM governance.approval_requests WHERE id = \(id) AND tenant_id = \(tx.tenant) \(unescaped: lock ? "FOR UPDATE" : "")
            """).decode((String, String?, String, String, String, Date, Date, String?, String?).self) { row = found }
        guard let (subject, promotionText, policyText, stateText, requester, requestedAt, expiresAt, correlation, traceParent) = row else {
            throw GovernanceError.notFound("Approval request \(id.uuidString.lowercased())")
        }
        var checks: [CheckResult] = []
        for try await (name, kind, passed, reason, evidence) in try await tx.query("""
            SELECT name, kind, passed, reason, evidence::text FROM governance.approval_checks WHERE approval_id = \(id) ORDER BY name
            """).decode((String, String, Bool, String, String).self) {
            checks.append(CheckResult(name: name, kind: GovernanceEvent.CheckKind(rawValue: kind) ?? .metricThreshold, passed: passed, reason: reason,
                                      evidence: (try? JSONText.decode(evidence, as: [String: ScalarValue].self)) ?? [:]))
        }
        var decisions: [ApprovalRequest.Decision] = []
        for try await (principal, approve, comment, at) in try await tx.query("""
            SELECT principal, approve, comment, decided_at FROM governance.approval_decisions WHERE approval_id = \(id) ORDER BY seq
            """).decode((String, Bool, String?, Date).self) {
            decisions.append(ApprovalRequest.Decision(principal: principal, approve: approve, comment: comment, at: at))
        }
        let promotion = try JSONText.decode(promotionText, as: GovernanceEvent.PromotionRef.self)
        let request = ApprovalRequest(restoring: ApprovalRequest.State(rawValue: stateText) ?? .pending, policy: try JSONText.decode(policyText, as: GovernanceEvent.ApprovalPolicy.self),
                                      requester: requester, requestedAt: requestedAt, expiresAt: expiresAt, checks: checks, decisions: decisions)
        return StoredApproval(id: id, subject: subject, promotion: promotion, correlationID: correlation, traceParent: traceParent,
                              expiresAt: expiresAt, request: request)
    }

    private func finish(_ stored: StoredApproval, state: ApprovalRequest.State, at now: Date, on tx: GovernanceTransaction) async throws {
        try await tx.execute("""
            UPDATE governance.approval_requests SET state = \(state.rawValue), decided_at = \(now) WHERE id = \(stored.id)
            """)
    }

    /// Expires every pending request past its time in each caller's tenant, as that caller
    /// (the events' actor); returns how many. Runs from the scheduler, so expiry survives
    /// restarts (the deadline is in the row).
    func expireDue(as callers: [Caller]) async throws -> Int {
        var expired = 0
        for caller in callers {
            expired += try await database.transaction(caller) { tx in
                var due: [UUID] = []
                for try await id in try await tx.query("""
                    SELECT id FROM governance.approval_requests WHERE tenant_id = \(tx.tenant) AND state = 'PENDING' AND expires_at <= now()
                    ORDER BY expires_at LIMIT 500 FOR UPDATE SKIP LOCKED
                    """).decode(UUID.self) { due.append(id) }
                var count = 0
                for id in due {
                    var stored = try await load(id, lock: false, on: tx)
                    let now = Date()
                    guard stored.request.expire(at: now) == .expired else { continue }
                    count += 1
                    try await finish(stored, state: .expired, at: now, on: tx)
                    try await tx.emit(GovernanceEvent.ApprovalExpired(approvalID: id.uuidString.lowercased(), subject: stored.subject, promotion: stored.promotion,
                                                                      approvals: stored.request.approvals, requiredApprovals: stored.request.policy.requiredApprovals,
                                                                      expiredAt: now),
                                      key: stored.subject, subject: stored.subject, correlation: stored.correlationID, trace: stored.traceParent)
                }
                return count
            }
        }
        return expired
    }
}
