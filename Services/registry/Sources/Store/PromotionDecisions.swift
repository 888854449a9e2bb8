import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// Governance's answer to a promotion.
enum PromotionDecision: Sendable {
    case granted(approvalID: String, approvers: [String])
    /// The approval request was rejected, expired or cancelled: the promotion closes in that state.
    case closed(Promotion.State, approvalID: String?, reason: String?)
}

/// What applying a decision did.
enum PromotionDecisionOutcome: Sendable, Equatable {
    case moved(AliasMove)
    case closed
    /// The promotion was already decided: a redelivered or late decision changes nothing.
    case alreadyDecided(Promotion.State)
}

extension RegistryStore {
    /// Applies governance's decision to a pending promotion, on the connection of the consumer's
    /// inbox transaction (so a redelivered decision is a no-op). A granted promotion moves the
    /// alias (history names the requester, the approvers and the promotion), and for a stage
    /// promotion puts the version in the stage; a rejected, expired or cancelled one closes in
    /// that state with the alias and stages unchanged (`promotion.rejected` for the first two,
    /// `promotion.cancelled` for the last). A grant for a version deleted meanwhile cancels it.
    /// - Throws: ``RegistryError/notFound(_:)`` for a promotion this registry never opened.
    func apply(_ decision: PromotionDecision, promotionID: UUID, causation: CloudEvent,
                      on tx: RegistryTransaction) async throws -> PromotionDecisionOutcome {
        // The consumer's transaction acts for governance, in the decision's tenant.
        let system = tx.caller
        var found: (UUID, Int, String, String, String, String, String?, Bool)?
        for try await row in try await tx.query("""
            SELECT p.model_id, p.version, p.alias, p.state, p.requested_by, m.name, p.stage, p.archive_existing
            FROM registry.promotions p JOIN registry.models m ON m.id = p.model_id
            WHERE p.id = \(promotionID) AND p.tenant_id = \(tx.tenant) FOR UPDATE OF p
            """).decode((UUID, Int, String, String, String, String, String?, Bool).self) { found = row }
        guard let (modelID, number, alias, state, requestedBy, modelName, stage, archiveExisting) = found else {
            throw RegistryError.notFound("Promotion \(promotionID.uuidString.lowercased())")
        }
        guard state == Promotion.State.pending.rawValue else { return .alreadyDecided(Promotion.State(rawValue: state) ?? .completed) }
        let now = Date()
        let promotion = promotionID.uuidString.lowercased()
        switch decision {
        case .granted(let approvalID, let approvers):
            let modelLive = try await tx.countRows("SELECT 1 FROM registry.models WHERE id = \(modelID) AND deleted_at IS NULL") == 1
            let versionLive = try await tx.countRows("""
                SELECT 1 FROM registry.versions WHERE model_id = \(modelID) AND version = \(number) AND deleted_at IS NULL
                """) == 1
            guard modelLive && versionLive else {
                let reason = "the version was deleted before the grant"
                try await close(promotionID, state: .cancelled, approvalID: approvalID, decision: "APPROVED", reason: reason, at: now, on: tx)
                try await emit(RegistryEvent.PromotionCancelled(promotionID: promotion, modelName: modelName, version: number, alias: alias,
                                                                approvalID: approvalID, reason: reason, cancelledAt: now),
                               model: modelName, subject: "models/\(modelName)/aliases/\(alias)", caller: system, causation: causation, on: tx)
                return .closed
            }
            var previous: Int?
            for try await version in try await tx.query("""
                SELECT version FROM registry.aliases WHERE model_id = \(modelID) AND alias = \(alias) FOR UPDATE
                """).decode(Int.self) { previous = version }
            try await close(promotionID, state: .completed, approvalID: approvalID, decision: "APPROVED", reason: nil, at: now, on: tx)
            let move = try await moveAlias(modelID, modelName: modelName, alias: alias, from: previous, to: number, reason: "promotion \(promotion) approved",
                                           promotion: promotionID, movedBy: requestedBy, approvedBy: approvers, system, at: now, causation: causation, on: tx)
            if let stage = stage.flatMap(ModelVersionStage.init(rawValue:)) {
                // A stage promotion: the version enters the stage with its alias.
                try await moveStage(modelID, modelName: modelName, version: number, to: stage, archiveExisting: archiveExisting, causation: causation, on: tx)
            }
            try await emit(RegistryEvent.PromotionCompleted(promotionID: promotion, modelName: modelName, version: number, alias: alias,
                                                            previousVersion: previous, approvalID: approvalID, completedAt: now),
                           model: modelName, subject: "models/\(modelName)/aliases/\(alias)", caller: system, causation: causation, on: tx)
            return .moved(move)
        case .closed(let state, let approvalID, let reason):
            // The promotion's state is the approval request's: REJECTED, EXPIRED or CANCELLED.
            try await close(promotionID, state: state, approvalID: approvalID, decision: state.rawValue, reason: reason, at: now, on: tx)
            let subject = "models/\(modelName)/aliases/\(alias)"
            if state == .cancelled {
                try await emit(RegistryEvent.PromotionCancelled(promotionID: promotion, modelName: modelName, version: number, alias: alias,
                                                                approvalID: approvalID, reason: reason, cancelledAt: now),
                               model: modelName, subject: subject, caller: system, causation: causation, on: tx)
            } else {
                try await emit(RegistryEvent.PromotionRejected(promotionID: promotion, modelName: modelName, version: number, alias: alias,
                                                               cause: state == .expired ? .expired : .rejected, approvalID: approvalID, reason: reason,
                                                               rejectedAt: now),
                               model: modelName, subject: subject, caller: system, causation: causation, on: tx)
            }
            return .closed
        }
    }

    private func close(_ id: UUID, state: Promotion.State, approvalID: String?, decision: String, reason: String?, at now: Date,
                       on tx: RegistryTransaction) async throws {
        try await tx.execute("""
            UPDATE registry.promotions SET state = \(state.rawValue), approval_id = \(approvalID), decision = \(decision),
                decision_reason = \(reason), decided_at = \(now)
            WHERE id = \(id)
            """)
    }
}
