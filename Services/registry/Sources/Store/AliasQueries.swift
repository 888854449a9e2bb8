import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// Where the previous page of promotions ended.
struct PromotionCursor: Codable, Sendable, Equatable {
    var requestedAt: Date
    var id: UUID
}

/// Where the previous page of an alias history ended.
struct AliasHistoryCursor: Codable, Sendable, Equatable {
    var after: Int64
}

extension RegistryStore {
    /// Points an alias at a version. A protected alias does not move: a pending promotion is
    /// recorded and `promotion.requested` goes to governance with the version's facts.
    func setAlias(_ caller: Caller, modelName: String, alias: String, version number: Int, reason: String?) async throws -> AliasRequestOutcome {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            let model = try await model(named: modelName, on: tx)
            let alias = model.canonicalAlias(alias)
            let target = try await version(modelName, number, on: tx)
            let current = model.aliases[alias]
            if model.isProtected(alias) {
                return .pending(try await openPromotion(of: model, alias: alias, target: target, reason: reason, on: tx))
            }
            let move = try await moveAlias(id, modelName: modelName, alias: alias, from: current, to: number, reason: reason, promotion: nil,
                                           movedBy: caller.subject, caller, at: Date(), on: tx)
            return .moved(move)
        }
    }

    /// Records a pending promotion of `alias` (and of `stage`, for a stage promotion) to the
    /// version `target`, and sends `promotion.requested` to governance with the version's
    /// facts; asking again while the same promotion is pending answers that promotion.
    /// - Throws: ``RegistryError/conflict(_:)`` unless the version is READY.
    func openPromotion(of model: RegisteredModel, alias: String, target: ModelVersion, reason: String?, stage: ModelVersionStage? = nil,
                       archiveExisting: Bool = false, on tx: RegistryTransaction) async throws -> Promotion {
        let caller = tx.caller
        let (id, modelName, number) = (model.id, model.name, target.version)
        guard target.status == .ready else {
            throw RegistryError.conflict("Only a READY version can be promoted; version \(number) is \(target.status.rawValue).")
        }
        for try await (id, requestedBy, requestedAt, pendingReason, pendingArchive) in try await tx.query("""
            SELECT id, requested_by, requested_at, reason, archive_existing FROM registry.promotions
            WHERE model_id = \(id) AND tenant_id = \(caller.tenant) AND alias = \(alias) AND version = \(number) AND state = 'PENDING'
              AND stage IS NOT DISTINCT FROM \(stage?.rawValue)
            ORDER BY requested_at LIMIT 1
            """).decode((UUID, String, Date, String?, Bool).self) {
            return Promotion(id: id, modelName: modelName, version: number, alias: alias, stage: stage, archiveExisting: pendingArchive, state: .pending,
                             reason: pendingReason, requestedBy: requestedBy, requestedAt: requestedAt)
        }
        let now = Date()
        let promotion = Promotion(id: UUID(), modelName: modelName, version: number, alias: alias, stage: stage, archiveExisting: archiveExisting,
                                  state: .pending, reason: reason, requestedBy: caller.subject, requestedAt: now)
        try await tx.execute("""
            INSERT INTO registry.promotions (tenant_id, id, model_id, version, alias, state, reason, requested_by, requested_at, stage, archive_existing)
            VALUES (\(caller.tenant), \(promotion.id), \(id), \(number), \(alias), 'PENDING', \(reason), \(caller.subject), \(now), \(stage?.rawValue),
                    \(archiveExisting))
            """)
        var cardText: String?
        for try await text in try await tx.query("""
            SELECT card::text FROM registry.versions WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant)
            """).decode(String?.self) { cardText = text }
        let card = try JSONText.decode(cardText, as: ModelCard.self) ?? ModelCard(trainingData: target.datasetVersions, evaluation: [], owners: [])
        try await emit(RegistryEvent.PromotionRequested(
            promotionID: promotion.id.uuidString.lowercased(), modelName: modelName, version: number, alias: alias, currentVersion: model.aliases[alias],
            reason: reason, metrics: target.metrics, cardCompleteness: card.completeness, missingCardSections: card.missingSections,
            signaturePresent: target.signature != nil, requestedBy: caller.subject, requestedAt: now),
            model: modelName, subject: "models/\(modelName)/aliases/\(alias)", caller: caller, on: tx)
        return promotion
    }

    /// Removes an alias; its history keeps the deletion.
    func deleteAlias(_ caller: Caller, modelName: String, alias: String, reason: String?) async throws {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            let alias = try await model(named: modelName, on: tx).canonicalAlias(alias)
            var previous: Int?
            for try await version in try await tx.query("""
                DELETE FROM registry.aliases WHERE model_id = \(id) AND tenant_id = \(caller.tenant) AND alias = \(alias) RETURNING version
                """).decode(Int.self) { previous = version }
            guard let previous else { throw RegistryError.notFound("Alias '\(alias)' of registered model '\(modelName)'") }
            let now = Date()
            try await recordAliasHistory(id, alias: alias, previous: previous, version: nil, reason: reason, promotion: nil, caller, at: now, on: tx)
            try await touchModel(id, on: tx)
            try await emit(RegistryEvent.AliasDeleted(modelName: modelName, alias: alias, previousVersion: previous, reason: reason,
                                                      deletedBy: caller.subject, deletedAt: now), model: modelName, caller: caller, on: tx)
        }
    }

    /// The version an alias points to now, or pointed to at `time` (from its history).
    func resolveAlias(_ caller: Caller, modelName: String, alias: String, at time: Date? = nil) async throws -> ModelVersion {
        try await transaction(caller) { tx in
            let model = try await model(named: modelName, on: tx)
            var number: Int?
            if let time {
                for try await version in try await tx.query("""
                    SELECT version FROM registry.alias_history
                    WHERE model_id = \(model.id) AND tenant_id = \(caller.tenant) AND alias = \(alias) AND moved_at <= \(time)
                    ORDER BY moved_at DESC, id DESC LIMIT 1
                    """).decode(Int?.self) { number = version }
            } else {
                number = model.aliases[alias]
            }
            guard let number else {
                throw RegistryError.notFound("Alias '\(alias)' of registered model '\(modelName)'\(time.map { " at \(RFC3339.format($0))" } ?? "")")
            }
            return try await version(modelName, number, on: tx)
        }
    }

    /// The model's alias moves (or one alias's), oldest first, `limit` at a time after the
    /// entry `after`; and the cursor of the next page.
    func aliasHistory(_ caller: Caller, modelName: String, alias: String?, limit: Int = 500, after: Int64? = nil) async throws
        -> (moves: [AliasMove], next: Int64?) {
        try await transaction(caller) { tx in
            let model = try await model(named: modelName, on: tx)
            var query = QueryBuilder("SELECT id, alias, previous_version, version, reason, promotion_id, moved_by, approved_by, moved_at FROM registry.alias_history WHERE model_id = ")
            query.append("\(query.bind(model.id)) AND tenant_id = \(query.bind(caller.tenant))")
            if let alias { query.append(" AND alias = \(query.bind(alias))") }
            if let after { query.append(" AND id > \(query.bind(after))") }
            query.append(" ORDER BY id LIMIT \(query.bind(limit + 1))")
            var moves: [(Int64, AliasMove)] = []
            for try await (id, alias, previous, version, reason, promotion, movedBy, approvedBy, movedAt) in try await tx.query(query.query)
                .decode((Int64, String, Int?, Int?, String?, UUID?, String, [String]?, Date).self) {
                moves.append((id, AliasMove(alias: alias, previousVersion: previous, version: version, reason: reason, promotionID: promotion,
                                            movedBy: movedBy, approvedBy: approvedBy, movedAt: movedAt)))
            }
            let more = moves.count > limit
            if more { moves.removeLast() }
            return (moves.map(\.1), more ? moves.last?.0 : nil)
        }
    }

    /// The model's promotions (or the one with `id`), oldest first, `limit` at a time after
    /// `after`; and the cursor of the next page.
    func promotions(_ caller: Caller, modelName: String, id: UUID? = nil, limit: Int = 500, after: PromotionCursor? = nil) async throws
        -> (promotions: [Promotion], next: PromotionCursor?) {
        try await transaction(caller) { tx in
            let model = try await model(named: modelName, on: tx)
            var query = QueryBuilder("""
                SELECT id, version, alias, state, reason, requested_by, requested_at, approval_id, decision, decision_reason, decided_at, stage,
                    archive_existing
                FROM registry.promotions WHERE model_id =
                """ + " ")
            query.append("\(query.bind(model.id)) AND tenant_id = \(query.bind(caller.tenant))")
            if let id { query.append(" AND id = \(query.bind(id))") }
            if let after { query.append(" AND (requested_at, id) > (\(query.bind(after.requestedAt)), \(query.bind(after.id)))") }
            query.append(" ORDER BY requested_at, id LIMIT \(query.bind(limit + 1))")
            var result: [Promotion] = []
            for try await (id, version, alias, state, reason, requestedBy, requestedAt, approvalID, decision, decisionReason, decidedAt, stage, archiveExisting)
                in try await tx.query(query.query).decode((UUID, Int, String, String, String?, String, Date, String?, String?, String?, Date?, String?, Bool).self) {
                result.append(Promotion(id: id, modelName: modelName, version: version, alias: alias, stage: stage.flatMap(ModelVersionStage.init(rawValue:)),
                                        archiveExisting: archiveExisting, state: Promotion.State(rawValue: state) ?? .pending,
                                        reason: reason, requestedBy: requestedBy, requestedAt: requestedAt, approvalID: approvalID,
                                        decision: decision, decisionReason: decisionReason, decidedAt: decidedAt))
            }
            let more = result.count > limit
            if more { result.removeLast() }
            return (result, more ? result.last.map { PromotionCursor(requestedAt: $0.requestedAt, id: $0.id) } : nil)
        }
    }

    func moveAlias(_ id: UUID, modelName: String, alias: String, from previous: Int?, to number: Int, reason: String?, promotion: UUID?,
                   movedBy: String, approvedBy: [String]? = nil, _ caller: Caller, at now: Date, causation: CloudEvent? = nil,
                   on tx: RegistryTransaction) async throws -> AliasMove {
        try await tx.execute("""
            INSERT INTO registry.aliases VALUES (\(caller.tenant), \(id), \(alias), \(number), \(now))
            ON CONFLICT (model_id, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
            """)
        try await recordAliasHistory(id, alias: alias, previous: previous, version: number, reason: reason, promotion: promotion,
                                     approvedBy: approvedBy, Caller(tenant: caller.tenant, subject: movedBy), at: now, on: tx)
        try await touchModel(id, on: tx)
        try await emit(RegistryEvent.AliasMoved(modelName: modelName, alias: alias, previousVersion: previous, version: number, reason: reason,
                                                promotionID: promotion?.uuidString.lowercased(), movedBy: movedBy, approvedBy: approvedBy, movedAt: now),
                       model: modelName, subject: "models/\(modelName)/aliases/\(alias)", caller: caller, causation: causation, on: tx)
        return AliasMove(alias: alias, previousVersion: previous, version: number, reason: reason, promotionID: promotion, movedBy: movedBy,
                         approvedBy: approvedBy, movedAt: now)
    }

    func recordAliasHistory(_ id: UUID, alias: String, previous: Int?, version: Int?, reason: String?, promotion: UUID?, approvedBy: [String]? = nil,
                            _ caller: Caller, at now: Date, on tx: RegistryTransaction) async throws {
        try await tx.execute("""
            INSERT INTO registry.alias_history (tenant_id, model_id, alias, previous_version, version, reason, promotion_id, moved_by, approved_by, moved_at)
            VALUES (\(caller.tenant), \(id), \(alias), \(previous), \(version), \(reason), \(promotion), \(caller.subject), \(approvedBy), \(now))
            """)
    }
}
