import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import MaestroTracing
import PostgresNIO

extension ApprovalStore {
    /// Opens the approval request for a registry promotion, in the transaction of the consumer's
    /// inbox (the promotion's requester acting in its tenant): evaluates the policy's checks on the
    /// event's facts and stores them with their evidence. Its events continue the promotion's
    /// correlation chain.
    func open(for requested: RegistryEvent.PromotionRequested, event: CloudEvent, on tx: GovernanceTransaction) async throws -> UUID {
        let stored = try await effectivePolicy(model: requested.modelName, on: tx)
        let facts = ApprovalFacts(metrics: requested.metrics, cardCompleteness: requested.cardCompleteness,
                                  missingCardSections: requested.missingCardSections.map(\.rawValue), signaturePresent: requested.signaturePresent,
                                  openDriftAlerts: nil, budgetExceeded: nil)
        let checks = PolicyChecks.evaluate(stored.policy, facts: facts)
        let id = UUID()
        let now = Date()
        let subject = "models/\(requested.modelName)/aliases/\(requested.alias)"
        let promotion = GovernanceEvent.PromotionRef(promotionID: requested.promotionID, modelName: requested.modelName,
                                                     version: requested.version, alias: requested.alias)
        let expires = now.addingTimeInterval(TimeInterval(stored.policy.expiresAfterSeconds))
        try await tx.execute("""
            INSERT INTO governance.approval_requests (tenant_id, id, subject, promotion, policy_id, policy_revision, policy, facts, state, reason,
                requested_by, requested_at, expires_at, correlation_id, trace_parent)
            VALUES (\(tx.tenant), \(id), \(subject), \(try JSONText.encode(promotion))::jsonb, \(stored.id), \(stored.revision), \(try JSONText.encode(stored.policy))::jsonb,
                \(try JSONText.encode(FactsRecord(facts)))::jsonb, 'PENDING', \(requested.reason), \(requested.requestedBy), \(now), \(expires), \(event.correlationId ?? event.id),
                \(TraceContext.current ?? event.traceParent))
            """)
        let approval = id.uuidString.lowercased()
        try await tx.emit(GovernanceEvent.ApprovalRequested(approvalID: approval, subject: subject, promotion: promotion,
                                                            policyID: stored.id?.uuidString.lowercased() ?? "default", policyRevision: stored.revision,
                                                            requiredApprovals: stored.policy.requiredApprovals, reason: requested.reason,
                                                            requestedBy: requested.requestedBy, requestedAt: now, expiresAt: expires),
                          key: subject, subject: subject, cause: event, actor: requested.requestedBy)
        let governance = Caller.governance(in: tx.tenant).subject
        for check in checks {
            try await tx.execute("""
                INSERT INTO governance.approval_checks VALUES (\(tx.tenant), \(id), \(check.name), \(check.kind.rawValue), \(check.passed), \(check.reason),
                    \(try JSONText.encode(check.evidence))::jsonb, \(now))
                """)
            try await tx.emit(GovernanceEvent.ApprovalCheckEvaluated(approvalID: approval, subject: subject, check: check.name, kind: check.kind, passed: check.passed,
                                                                     reason: check.reason, evidence: check.evidence, evaluatedAt: now),
                              key: subject, subject: subject, cause: event, actor: governance)
        }
        return id
    }

    /// Opens a request for a subject other than a registry promotion, through the API, with the
    /// caller as requester: the tenant's policy decides who approves and how many; there are no
    /// version facts, so the policy's automatic checks do not apply.
    func open(subject: String, reason: String?, as caller: Caller) async throws -> StoredApproval {
        try await database.transaction(caller) { tx in
            let stored = try await effectivePolicy(model: nil, on: tx)
            let id = UUID()
            let now = Date()
            let expires = now.addingTimeInterval(TimeInterval(stored.policy.expiresAfterSeconds))
            let correlation = UUIDv7.string()
            try await tx.execute("""
                INSERT INTO governance.approval_requests (tenant_id, id, subject, promotion, policy_id, policy_revision, policy, facts, state, reason,
                    requested_by, requested_at, expires_at, correlation_id, trace_parent)
                VALUES (\(tx.tenant), \(id), \(subject), NULL, \(stored.id), \(stored.revision), \(try JSONText.encode(stored.policy))::jsonb, '{}'::jsonb, 'PENDING',
                    \(reason), \(caller.subject), \(now), \(expires), \(correlation), \(TraceContext.current))
                """)
            try await tx.emit(GovernanceEvent.ApprovalRequested(approvalID: id.uuidString.lowercased(), subject: subject, promotion: nil,
                                                                policyID: stored.id?.uuidString.lowercased() ?? "default", policyRevision: stored.revision,
                                                                requiredApprovals: stored.policy.requiredApprovals, reason: reason, requestedBy: caller.subject,
                                                                requestedAt: now, expiresAt: expires),
                              key: subject, subject: subject, correlation: correlation)
            return try await load(id, lock: false, on: tx)
        }
    }
}

/// The facts a request's checks saw, as stored with it.
struct FactsRecord: Codable, Sendable {
    var metrics: [String: Double]
    var cardCompleteness: Double
    var missingCardSections: [String]
    var signaturePresent: Bool

    init(_ facts: ApprovalFacts) {
        metrics = facts.metrics
        cardCompleteness = facts.cardCompleteness
        missingCardSections = facts.missingCardSections
        signaturePresent = facts.signaturePresent
    }

    enum CodingKeys: String, CodingKey {
        case metrics, cardCompleteness = "card_completeness", missingCardSections = "missing_card_sections", signaturePresent = "signature_present"
    }
}
