import Foundation
import Logging
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// Policies and approval requests in PostgreSQL; every transition of a request goes through
/// ``ApprovalRequest`` and commits with its events.
struct ApprovalStore: Sendable {
    let database: GovernanceDatabase
    var logger: Logger { database.logger }

    /// The policy a tenant gets until its admin sets one: one approval by an approver other
    /// than the requester, within seven days, no automatic checks.
    static let defaultPolicy = GovernanceEvent.ApprovalPolicy(
        requiredApprovals: 1, distinctApprovers: true, approverRole: .approver, separationOfDuties: true, expiresAfterSeconds: 7 * 24 * 3600,
        minCardCompleteness: nil, metricThresholds: [], requireSignature: false, requireNoOpenDriftAlert: false, requireWithinBudget: false)

    struct StoredPolicy: Sendable, Equatable {
        let id: UUID?
        let revision: Int
        let policy: GovernanceEvent.ApprovalPolicy
    }

    /// Sets the caller's tenant's policy, or a model's when `model` is given; a new revision each time.
    func setPolicy(_ policy: GovernanceEvent.ApprovalPolicy, model: String?, as caller: Caller) async throws -> StoredPolicy {
        try await database.transaction(caller) { tx in
            let scope = model == nil ? "tenant" : "model"
            let text = try JSONText.encode(policy)
            var stored: (UUID, Int)?
            for try await row in try await tx.query("""
                INSERT INTO governance.policies VALUES (\(tx.tenant), \(UUID()), \(scope), \(model), 1, \(text)::jsonb, \(caller.subject), \(Date()))
                ON CONFLICT (tenant_id, scope, COALESCE(model_name, '')) DO UPDATE
                    SET revision = policies.revision + 1, policy = EXCLUDED.policy, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at
                RETURNING id, revision
                """).decode((UUID, Int).self) { stored = row }
            guard let (id, revision) = stored else { throw GovernanceError.internalState("the policy was not stored") }
            let subject = model.map { "models/\($0)/policy" } ?? "tenants/\(tx.tenant)/policy"
            try await tx.emit(GovernanceEvent.PolicySet(policyID: id.uuidString.lowercased(), scope: model == nil ? .tenant : .model,
                                                        modelName: model, revision: revision, policy: policy, setBy: caller.subject, setAt: Date()),
                              key: subject, subject: subject)
            return StoredPolicy(id: id, revision: revision, policy: policy)
        }
    }

    /// The policy for a model: its own, else the tenant's, else the default.
    func effectivePolicy(model: String?, on tx: GovernanceTransaction) async throws -> StoredPolicy {
        for try await (id, revision, text) in try await tx.query("""
            SELECT id, revision, policy::text FROM governance.policies
            WHERE tenant_id = \(tx.tenant) AND (scope = 'tenant' OR (scope = 'model' AND model_name = \(model)))
            ORDER BY scope = 'model' DESC LIMIT 1
            """).decode((UUID, Int, String).self) {
            return StoredPolicy(id: id, revision: revision, policy: try JSONText.decode(text, as: GovernanceEvent.ApprovalPolicy.self))
        }
        return StoredPolicy(id: nil, revision: 1, policy: Self.defaultPolicy)
    }

}
