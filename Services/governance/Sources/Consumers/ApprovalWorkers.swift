import Foundation
import Logging
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import ServiceLifecycle

/// Opens an approval request for each `io.maestro.registry.promotion.requested.v1`, once
/// (inbox); other registry events are ignored. A request without a tenant goes to the DLQ.
struct PromotionRequestHandler: Sendable {
    static let consumerName = "governance.promotion-requests"

    let approvals: ApprovalStore

    func handle(_ event: CloudEvent) async throws {
        guard event.type == RegistryEvent.PromotionRequested.eventType.name else { return }
        let requested = try event.payload(as: RegistryEvent.PromotionRequested.self)
        guard let tenant = event.tenant else { throw EventRejection("promotion \(requested.promotionID) carries no tenant") }
        let requester = Caller(tenant: tenant, subject: requested.requestedBy)
        _ = try await approvals.database.once(consumer: Self.consumerName, event: event, caller: requester) { tx in
            try await approvals.open(for: requested, event: event, on: tx)
        }
    }
}

/// Expires pending requests past their deadline, every `interval`; the deadline is stored, so
/// expiry survives restarts and any replica may run it.
struct ApprovalExpiryService: Service {
    let identity: IdentityStore
    let approvals: ApprovalStore
    let interval: Duration

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let tenants = try await identity.tenants().map { Caller.governance(in: $0.id) }
                let expired = try await approvals.expireDue(as: tenants)
                if expired > 0 { approvals.logger.info("approval requests expired", metadata: ["count": "\(expired)"]) }
            } catch {
                approvals.logger.warning("approval expiry pass failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { isCancelled || isShuttingDownGracefully }
}
