import Foundation
import Logging
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// Governance's decisions about promotions, applied once each through the inbox.
///
/// `approval.granted` moves the alias, `approval.rejected` / `…expired` / `…cancelled` close the
/// promotion; decisions about other subjects are ignored. A decision for a promotion this
/// registry never opened, or without a tenant, is rejected to the DLQ.
struct GovernanceDecisionHandler: Sendable {
    static let consumerName = "registry.governance-decisions"

    let store: RegistryStore
    let cache: AliasCache?

    func handle(_ event: CloudEvent) async throws {
        let decision: PromotionDecision
        let promotion: GovernanceEvent.PromotionRef?
        switch event.type {
        case GovernanceEvent.ApprovalGranted.eventType.name:
            let payload = try event.payload(as: GovernanceEvent.ApprovalGranted.self)
            (decision, promotion) = (.granted(approvalID: payload.approvalID, approvers: payload.approvers), payload.promotion)
        case GovernanceEvent.ApprovalRejected.eventType.name:
            let payload = try event.payload(as: GovernanceEvent.ApprovalRejected.self)
            (decision, promotion) = (.closed(.rejected, approvalID: payload.approvalID, reason: payload.comment), payload.promotion)
        case GovernanceEvent.ApprovalExpired.eventType.name:
            let payload = try event.payload(as: GovernanceEvent.ApprovalExpired.self)
            (decision, promotion) = (.closed(.expired, approvalID: payload.approvalID, reason: nil), payload.promotion)
        case GovernanceEvent.ApprovalCancelled.eventType.name:
            let payload = try event.payload(as: GovernanceEvent.ApprovalCancelled.self)
            (decision, promotion) = (.closed(.cancelled, approvalID: payload.approvalID, reason: payload.reason), payload.promotion)
        default:
            return
        }
        guard let promotion else { return }
        guard let tenant = event.tenant else { throw EventRejection("a decision about promotion \(promotion.promotionID) carries no tenant") }
        guard let id = UUID(uuidString: promotion.promotionID) else { throw EventRejection("promotion id '\(promotion.promotionID)' is not a UUID") }
        do {
            let governance = Caller(tenant: tenant, subject: event.authId ?? "governance")
            _ = try await store.database.once(consumer: Self.consumerName, event: event, caller: governance) { tx in
                try await store.apply(decision, promotionID: id, causation: event, on: tx)
            }
        } catch RegistryError.notFound(let what) {
            throw EventRejection("\(what) is unknown to the registry")
        }
        await cache?.invalidate(tenant: tenant, model: promotion.modelName)
    }
}
