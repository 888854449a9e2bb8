import Foundation
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroTestSupport
import Testing
@testable import Registry

/// Governance's decisions applied by the registry's handler, through the inbox, on real PostgreSQL.
@Suite("Promotion saga", .serialized, .timeLimit(.minutes(2)))
struct PromotionSagaTests {
    let caller = Caller(tenant: "acme", subject: "alice")

    func decision<Payload: EventPayload>(_ payload: Payload, tenant: String? = "acme", id: String = UUIDv7.string()) throws -> CloudEvent {
        var event = try CloudEvent(source: "/maestro/governance", subject: "models/fraud/aliases/champion", tenant: tenant, payload: payload, authId: "governance")
        event.id = id
        return event
    }

    func promotionRef(_ promotion: Promotion) -> GovernanceEvent.PromotionRef {
        GovernanceEvent.PromotionRef(promotionID: promotion.id.uuidString.lowercased(), modelName: promotion.modelName,
                                     version: promotion.version, alias: promotion.alias)
    }

    func pendingPromotion(_ registry: RegistryHarness) async throws -> Promotion {
        _ = try await registry.store.createModel(caller, name: "fraud", description: nil, owner: nil, tags: [:])
        _ = try await registry.store.createVersion(caller, modelName: "fraud", NewModelVersion(source: "s3://m/1"))
        _ = try await registry.store.createVersion(caller, modelName: "fraud", NewModelVersion(source: "s3://m/2"))
        guard case .pending(let promotion) = try await registry.store.setAlias(caller, modelName: "fraud", alias: "champion", version: 2, reason: "better auc") else {
            throw TestSetupError("champion should be protected by default")
        }
        return promotion
    }

    @Test("a grant moves the alias once, with history naming the requester, the approvers and the promotion; the same grant again changes nothing")
    func grantMovesOnce() async throws {
        try await RegistryHarness.with { registry in
            let promotion = try await pendingPromotion(registry)
            let again = try await registry.store.setAlias(caller, modelName: "fraud", alias: "champion", version: 2, reason: "again")
            guard case .pending(let repeated) = again else { throw TestSetupError("expected the pending promotion") }
            #expect(repeated.id == promotion.id)
            await #expect(throws: RegistryError.self) { try await registry.store.resolveAlias(caller, modelName: "fraud", alias: "champion") }

            let handler = GovernanceDecisionHandler(store: registry.store, cache: registry.cache)
            let grant = try decision(GovernanceEvent.ApprovalGranted(approvalID: "approval-1", subject: "models/fraud/aliases/champion",
                                                                     promotion: promotionRef(promotion), approvers: ["bea"], grantedAt: Date()))
            try await handler.handle(grant)
            try await handler.handle(grant)
            // A different event granting the same, already completed promotion is no move either.
            try await handler.handle(try decision(GovernanceEvent.ApprovalGranted(approvalID: "approval-1", subject: "models/fraud/aliases/champion",
                                                                                  promotion: promotionRef(promotion), approvers: ["bea"], grantedAt: Date())))

            #expect(try await registry.store.resolveAlias(caller, modelName: "fraud", alias: "champion").version == 2)
            let history = try await registry.store.aliasHistory(caller, modelName: "fraud", alias: "champion").moves
            #expect(history.count == 1)
            #expect(history.first?.promotionID == promotion.id && history.first?.movedBy == "alice" && history.first?.previousVersion == nil)
            #expect(history.first?.approvedBy == ["bea"])
            let completed = try await registry.store.promotions(caller, modelName: "fraud").promotions
            #expect(completed.map(\.state) == [.completed] && completed.first?.decision == "APPROVED")
            let moved = try await registry.outboxEvents().filter { $0.type == RegistryEvent.AliasMoved.eventType.name }
            #expect(moved.first?.data["approved_by"] == .array([.string("bea")]) && moved.first?.data["moved_by"] == .string("alice"))
            let types = try await registry.outboxEvents().map(\.type)
            #expect(types.filter { $0 == RegistryEvent.AliasMoved.eventType.name }.count == 1)
            #expect(types.filter { $0 == RegistryEvent.PromotionCompleted.eventType.name }.count == 1)
        }
    }

    @Test("a rejection or an expiry closes the promotion in that state and leaves the alias where it was")
    func rejectionLeavesAlias() async throws {
        try await RegistryHarness.with { registry in
            let promotion = try await pendingPromotion(registry)
            let handler = GovernanceDecisionHandler(store: registry.store, cache: registry.cache)
            try await handler.handle(try decision(GovernanceEvent.ApprovalRejected(approvalID: "approval-2", subject: "models/fraud/aliases/champion",
                                                                                   promotion: promotionRef(promotion), comment: "card incomplete",
                                                                                   rejectedBy: "bea", rejectedAt: Date())))
            await #expect(throws: RegistryError.self) { try await registry.store.resolveAlias(caller, modelName: "fraud", alias: "champion") }
            let closed = try await registry.store.promotions(caller, modelName: "fraud").promotions
            #expect(closed.map(\.state) == [.rejected] && closed.first?.decision == "REJECTED" && closed.first?.decisionReason == "card incomplete")

            guard case .pending(let second) = try await registry.store.setAlias(caller, modelName: "fraud", alias: "champion", version: 2, reason: nil) else {
                throw TestSetupError("expected a new promotion")
            }
            #expect(second.id != promotion.id)
            try await handler.handle(try decision(GovernanceEvent.ApprovalExpired(approvalID: "approval-3", subject: "models/fraud/aliases/champion",
                                                                                  promotion: promotionRef(second), approvals: 0, requiredApprovals: 2,
                                                                                  expiredAt: Date())))
            let decided = try await registry.store.promotions(caller, modelName: "fraud").promotions
            #expect(decided.map(\.state) == [.rejected, .expired] && decided.map(\.decision) == ["REJECTED", "EXPIRED"])
            let rejected = try await registry.outboxEvents().filter { $0.type == RegistryEvent.PromotionRejected.eventType.name }
            #expect(rejected.map { $0.data["cause"] } == [.string("REJECTED"), .string("EXPIRED")])
        }
    }

    @Test("a cancelled approval, or a grant after the version was deleted, closes the promotion as CANCELLED with promotion.cancelled")
    func cancellationIsCancelled() async throws {
        try await RegistryHarness.with { registry in
            let promotion = try await pendingPromotion(registry)
            let handler = GovernanceDecisionHandler(store: registry.store, cache: registry.cache)
            try await handler.handle(try decision(GovernanceEvent.ApprovalCancelled(approvalID: "approval-4", subject: "models/fraud/aliases/champion",
                                                                                    promotion: promotionRef(promotion), reason: "superseded",
                                                                                    cancelledBy: "alice", cancelledAt: Date())))
            var promotions = try await registry.store.promotions(caller, modelName: "fraud", id: promotion.id).promotions
            #expect(promotions.map(\.state) == [.cancelled] && promotions.first?.decision == "CANCELLED" && promotions.first?.decisionReason == "superseded")

            guard case .pending(let second) = try await registry.store.setAlias(caller, modelName: "fraud", alias: "champion", version: 2, reason: nil) else {
                throw TestSetupError("expected a new promotion")
            }
            try await registry.store.deleteVersion(caller, modelName: "fraud", version: 2)
            try await handler.handle(try decision(GovernanceEvent.ApprovalGranted(approvalID: "approval-5", subject: "models/fraud/aliases/champion",
                                                                                  promotion: promotionRef(second), approvers: ["bea"], grantedAt: Date())))
            promotions = try await registry.store.promotions(caller, modelName: "fraud", id: second.id).promotions
            #expect(promotions.map(\.state) == [.cancelled] && promotions.first?.decision == "APPROVED")
            #expect(promotions.first?.decisionReason == "the version was deleted before the grant")
            let events = try await registry.outboxEvents()
            #expect(events.filter { $0.type == RegistryEvent.PromotionCancelled.eventType.name }.count == 2)
            #expect(events.filter { $0.type == RegistryEvent.PromotionRejected.eventType.name }.isEmpty)
        }
    }

    @Test("a decision for a promotion the registry never opened, or without a tenant, is rejected for the DLQ")
    func unknownPromotionIsRejected() async throws {
        try await RegistryHarness.with { registry in
            let promotion = try await pendingPromotion(registry)
            let handler = GovernanceDecisionHandler(store: registry.store, cache: registry.cache)
            var unknown = promotionRef(promotion)
            unknown.promotionID = UUID().uuidString.lowercased()
            await #expect(throws: EventRejection.self) {
                try await handler.handle(try decision(GovernanceEvent.ApprovalGranted(approvalID: "a", subject: "s", promotion: unknown,
                                                                                      approvers: ["bea"], grantedAt: Date())))
            }
            // Another tenant's grant cannot reach this tenant's promotion.
            await #expect(throws: EventRejection.self) {
                try await handler.handle(try decision(GovernanceEvent.ApprovalGranted(approvalID: "a", subject: "s", promotion: promotionRef(promotion),
                                                                                      approvers: ["bea"], grantedAt: Date()), tenant: "other"))
            }
            await #expect(throws: EventRejection.self) {
                try await handler.handle(try decision(GovernanceEvent.ApprovalGranted(approvalID: "a", subject: "s", promotion: promotionRef(promotion),
                                                                                      approvers: ["bea"], grantedAt: Date()), tenant: nil))
            }
            await #expect(throws: RegistryError.self) { try await registry.store.resolveAlias(caller, modelName: "fraud", alias: "champion") }
        }
    }
}
