import Foundation
import Logging
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// Policies and approval requests in PostgreSQL; every transition of a request goes through
/// ``ApprovalRequest`` and commits with its events.
struct ApprovalStore: Sendable {
    let identity: IdentityStore
    var logger: Logger { identity.logger }

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

    /// Sets the tenant's policy, or a model's when `model` is given; a new revision each time.
    func setPolicy(_ policy: GovernanceEvent.ApprovalPolicy, tenant: String, model: String?, actor: String) async throws -> StoredPolicy {
        try await identity.client.withTenantTransaction(tenant, logger: logger) { connection in
            let scope = model == nil ? "tenant" : "model"
            let text = try Self.encode(policy)
            var stored: (UUID, Int)?
            for try await row in try await connection.query("""
                INSERT INTO governance.policies VALUES (\(tenant), \(UUID()), \(scope), \(model), 1, \(text)::jsonb, \(actor), \(Date()))
                ON CONFLICT (tenant_id, scope, COALESCE(model_name, '')) DO UPDATE
                    SET revision = policies.revision + 1, policy = EXCLUDED.policy, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at
                RETURNING id, revision
                """, logger: logger).decode((UUID, Int).self) { stored = row }
            guard let (id, revision) = stored else { throw GovernanceError.internalState("the policy was not stored") }
            try await identity.emit(GovernanceEvent.PolicySet(policyID: id.uuidString.lowercased(), scope: model == nil ? .tenant : .model,
                                                              modelName: model, revision: revision, policy: policy, setBy: actor, setAt: Date()),
                                    subject: model.map { "models/\($0)/policy" } ?? "tenants/\(tenant)/policy", tenant: tenant, actor: actor, on: connection)
            return StoredPolicy(id: id, revision: revision, policy: policy)
        }
    }

    /// The policy for a model: its own, else the tenant's, else the default.
    func effectivePolicy(tenant: String, model: String?, on connection: PostgresConnection) async throws -> StoredPolicy {
        for try await (id, revision, text) in try await connection.query("""
            SELECT id, revision, policy::text FROM governance.policies
            WHERE tenant_id = \(tenant) AND (scope = 'tenant' OR (scope = 'model' AND model_name = \(model)))
            ORDER BY scope = 'model' DESC LIMIT 1
            """, logger: logger).decode((UUID, Int, String).self) {
            return StoredPolicy(id: id, revision: revision, policy: try Self.decode(text))
        }
        return StoredPolicy(id: nil, revision: 1, policy: Self.defaultPolicy)
    }

    static func encode(_ policy: GovernanceEvent.ApprovalPolicy) throws -> String {
        String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> GovernanceEvent.ApprovalPolicy {
        try JSONDecoder().decode(GovernanceEvent.ApprovalPolicy.self, from: Data(text.utf8))
    }
}
