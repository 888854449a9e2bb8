import Foundation
import MaestroEvents
import MaestroPostgres
import PostgresNIO

extension ApprovalStore {
    /// Opens the approval request for a registry promotion, on the connection of the consumer's
    /// inbox transaction: evaluates the policy's checks on the event's facts and stores them
    /// with their evidence. Its events continue the promotion's correlation chain.
    func open(for requested: RegistryEvent.PromotionRequested, event: CloudEvent, tenant: String, on connection: PostgresConnection) async throws -> UUID {
        let stored = try await effectivePolicy(tenant: tenant, model: requested.modelName, on: connection)
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
        try await identity.count("""
            INSERT INTO governance.approval_requests (tenant_id, id, subject, promotion, policy_id, policy_revision, policy, facts, state, reason,
                requested_by, requested_at, expires_at, correlation_id)
            VALUES (\(tenant), \(id), \(subject), \(try Self.json(promotion))::jsonb, \(stored.id), \(stored.revision), \(try Self.encode(stored.policy))::jsonb,
                \(try Self.json(FactsRecord(facts)))::jsonb, 'PENDING', \(requested.reason), \(requested.requestedBy), \(now), \(expires), \(event.correlationId ?? event.id))
            """, on: connection)
        let approval = id.uuidString.lowercased()
        try await emit(GovernanceEvent.ApprovalRequested(approvalID: approval, subject: subject, promotion: promotion,
                                                         policyID: stored.id?.uuidString.lowercased() ?? "default", policyRevision: stored.revision,
                                                         requiredApprovals: stored.policy.requiredApprovals, reason: requested.reason,
                                                         requestedBy: requested.requestedBy, requestedAt: now, expiresAt: expires),
                       subject: subject, tenant: tenant, actor: requested.requestedBy, cause: event, on: connection)
        for check in checks {
            try await identity.count("""
                INSERT INTO governance.approval_checks VALUES (\(tenant), \(id), \(check.name), \(check.kind.rawValue), \(check.passed), \(check.reason),
                    \(try Self.json(check.evidence))::jsonb, \(now))
                """, on: connection)
            try await emit(GovernanceEvent.ApprovalCheckEvaluated(approvalID: approval, subject: subject, check: check.name, kind: check.kind, passed: check.passed,
                                                                  reason: check.reason, evidence: check.evidence, evaluatedAt: now),
                           subject: subject, tenant: tenant, actor: "governance", cause: event, on: connection)
        }
        return id
    }

    /// Opens a request for a subject other than a registry promotion, through the API: the
    /// tenant's policy decides who approves and how many; there are no version facts, so the
    /// policy's automatic checks do not apply.
    func open(subject: String, reason: String?, tenant: String, requester: String) async throws -> StoredApproval {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
            let stored = try await effectivePolicy(tenant: tenant, model: nil, on: connection)
            let id = UUID()
            let now = Date()
            let expires = now.addingTimeInterval(TimeInterval(stored.policy.expiresAfterSeconds))
            let correlation = UUIDv7.string()
            try await identity.count("""
                INSERT INTO governance.approval_requests (tenant_id, id, subject, promotion, policy_id, policy_revision, policy, facts, state, reason,
                    requested_by, requested_at, expires_at, correlation_id)
                VALUES (\(tenant), \(id), \(subject), NULL, \(stored.id), \(stored.revision), \(try Self.encode(stored.policy))::jsonb, '{}'::jsonb, 'PENDING',
                    \(reason), \(requester), \(now), \(expires), \(correlation))
                """, on: connection)
            try await emit(GovernanceEvent.ApprovalRequested(approvalID: id.uuidString.lowercased(), subject: subject, promotion: nil,
                                                             policyID: stored.id?.uuidString.lowercased() ?? "default", policyRevision: stored.revision,
                                                             requiredApprovals: stored.policy.requiredApprovals, reason: reason, requestedBy: requester,
                                                             requestedAt: now, expiresAt: expires),
                           subject: subject, tenant: tenant, actor: requester, cause: nil, correlation: correlation, on: connection)
            return try await load(id, tenant: tenant, lock: false, on: connection)
        }
    }

    /// Emits a governance event in the chain of `cause` (same correlation id, caused by it).
    func emit<Payload: EventPayload>(_ payload: Payload, subject: String, tenant: String, actor: String, cause: CloudEvent?,
                                     correlation: String? = nil, on connection: PostgresConnection) async throws {
        let event = try CloudEvent(source: IdentityStore.source, subject: subject, tenant: tenant, payload: payload, authId: actor,
                                   correlationId: correlation ?? cause?.correlationId, causationId: cause?.id)
        try await identity.outbox.enqueue(event, topic: .governanceEvents, key: subject, on: connection, logger: logger)
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
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
