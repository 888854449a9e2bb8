import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

extension RegistryStore {
    func createVersion(_ caller: Caller, modelName: String, _ new: NewModelVersion) async throws -> ModelVersion {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            if let parent = new.parentVersion {
                let exists = try await tx.countRows("""
                    SELECT 1 FROM registry.versions WHERE model_id = \(id) AND tenant_id = \(caller.tenant) AND version = \(parent) AND deleted_at IS NULL
                    """)
                guard exists == 1 else { throw RegistryError.invalid(field: "parent_version", message: "is not a version of model '\(modelName)'") }
            }
            var number = 0
            for try await next in try await tx.query("""
                UPDATE registry.models SET next_version = next_version + 1, updated_by = \(caller.subject), updated_at = now(), revision = revision + 1
                WHERE id = \(id) AND tenant_id = \(caller.tenant) RETURNING next_version - 1
                """).decode(Int.self) { number = next }
            let now = Date()
            let signature = try new.signature.map(JSONText.encode)
            let params = try JSONText.encode(new.params)
            let datasets = try JSONText.encode(new.datasetVersions)
            try await tx.execute("""
                INSERT INTO registry.versions (tenant_id, model_id, version, source, run_id, run_link, description, status, signature, params,
                    dataset_versions, feature_views, openlineage_run_id, parent_version, created_by, created_at, updated_by, updated_at)
                VALUES (\(caller.tenant), \(id), \(number), \(new.source), \(new.runID), \(new.runLink), \(new.description), \(new.status.rawValue),
                    \(signature)::jsonb, \(params)::jsonb, \(datasets)::jsonb, \(new.featureViews), \(new.openLineageRunID), \(new.parentVersion),
                    \(caller.subject), \(now), \(caller.subject), \(now))
                """)
            for (name, value) in new.metrics {
                try await tx.execute("INSERT INTO registry.version_metrics VALUES (\(caller.tenant), \(id), \(number), \(name), \(value))")
            }
            for (key, value) in new.tags {
                try await tx.execute("INSERT INTO registry.version_tags VALUES (\(caller.tenant), \(id), \(number), \(key), \(value))")
            }
            try await emit(RegistryEvent.ModelVersionCreated(
                modelName: modelName, version: number, source: new.source, runID: new.runID, description: new.description, status: new.status,
                signature: new.signature, metrics: new.metrics, params: new.params, tags: new.tags, datasetVersions: new.datasetVersions,
                featureViews: new.featureViews, openLineageRunID: new.openLineageRunID, parentVersion: new.parentVersion,
                createdBy: caller.subject, createdAt: now), model: modelName, subject: "models/\(modelName)/versions/\(number)", caller: caller, on: tx)
            return try await version(modelName, number, on: tx)
        }
    }

    func version(_ modelName: String, _ number: Int, _ caller: Caller) async throws -> ModelVersion {
        try await transaction(caller) { try await version(modelName, number, on: $0) }
    }

    func version(_ modelName: String, _ number: Int, on tx: RegistryTransaction) async throws -> ModelVersion {
        let caller = tx.caller
        var query = QueryBuilder(Self.versionColumns)
        query.append(" WHERE v.tenant_id = \(query.bind(caller.tenant)) AND m.name = \(query.bind(modelName)) AND v.version = \(query.bind(number))")
        query.append(" AND m.deleted_at IS NULL AND v.deleted_at IS NULL")
        guard let version = try await versions(query, on: tx).first else {
            throw RegistryError.notFound("Model version \(number) of '\(modelName)'")
        }
        return version
    }

    func updateVersion(_ caller: Caller, modelName: String, version number: Int, _ change: ModelVersionChange,
                              expectedRevision: Int64? = nil) async throws -> ModelVersion {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            let current = try await version(modelName, number, on: tx)
            if let expectedRevision, expectedRevision != current.revision { throw RegistryError.stale }
            let now = Date()
            let status = change.status ?? current.status
            try await tx.execute("""
                UPDATE registry.versions SET description = \(change.description ?? current.description), status = \(status.rawValue),
                    status_message = \(change.statusMessage ?? current.statusMessage), revision = revision + 1, updated_by = \(caller.subject), updated_at = \(now)
                WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant)
                """)
            if let signature = change.signature {
                try await tx.execute("""
                    UPDATE registry.versions SET signature = \(try JSONText.encode(signature))::jsonb
                    WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant)
                    """)
            }
            if let metrics = change.metrics {
                for (name, value) in metrics {
                    try await tx.execute("""
                        INSERT INTO registry.version_metrics VALUES (\(caller.tenant), \(id), \(number), \(name), \(value))
                        ON CONFLICT (model_id, version, name) DO UPDATE SET value = EXCLUDED.value
                        """)
                }
            }
            let updated = try await version(modelName, number, on: tx)
            let subject = "models/\(modelName)/versions/\(number)"
            if status != current.status {
                try await emit(RegistryEvent.ModelVersionStatusChanged(modelName: modelName, version: number, previousStatus: current.status, status: status,
                                                                       statusMessage: updated.statusMessage, changedBy: caller.subject, changedAt: now),
                               model: modelName, subject: subject, caller: caller, on: tx)
            }
            if change.description != nil || change.metrics != nil || change.signature != nil {
                try await emit(RegistryEvent.ModelVersionUpdated(modelName: modelName, version: number, description: updated.description, stage: updated.stage,
                                                                 metrics: updated.metrics, signature: updated.signature, updatedBy: caller.subject,
                                                                 updatedAt: now),
                               model: modelName, subject: subject, caller: caller, on: tx)
            }
            return updated
        }
    }

    /// Moves a version to an MLflow stage; with `archiveExisting`, other versions in that stage
    /// go to Archived. A protected stage is governed like a protected alias:
    /// - moving a version into it opens a promotion of the stage's alias (``RegisteredModel/alias(of:)``)
    ///   and nothing moves until governance grants it (``apply(_:promotionID:causation:on:)``);
    /// - taking a version out of it takes an admin, as deleting a protected alias does.
    /// Asking for the stage a version is already in changes nothing.
    func transitionStage(_ caller: Caller, modelName: String, version number: Int, to stage: ModelVersionStage,
                         archiveExisting: Bool, reason: String? = nil) async throws -> StageRequestOutcome {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            let model = try await model(named: modelName, on: tx)
            let current = try await version(modelName, number, on: tx)
            if current.stage == stage { return .moved(current) }
            if model.isProtected(stage: current.stage) && !caller.roles.contains(.admin) {
                throw RegistryError.forbidden("Version \(number) is in the protected stage \(current.stage.rawValue); only an admin takes it out.")
            }
            if model.isProtected(stage: stage) {
                return .pending(try await openPromotion(of: model, alias: RegisteredModel.alias(of: stage), target: current, reason: reason, stage: stage,
                                                        archiveExisting: archiveExisting, on: tx))
            }
            try await moveStage(id, modelName: modelName, version: number, to: stage, archiveExisting: archiveExisting, on: tx)
            return .moved(try await version(modelName, number, on: tx))
        }
    }

    /// Puts the version in `stage` (and, with `archiveExisting` for Staging or Production, the
    /// stage's other versions in Archived), acting as the transaction's caller, with a
    /// `model_version.updated` event for each version changed.
    func moveStage(_ id: UUID, modelName: String, version number: Int, to stage: ModelVersionStage, archiveExisting: Bool,
                   causation: CloudEvent? = nil, on tx: RegistryTransaction) async throws {
        let caller = tx.caller
        let now = Date()
        var moved: [Int] = [number]
        if archiveExisting && (stage == .staging || stage == .production) {
            let rows = try await tx.query("""
                UPDATE registry.versions SET stage = 'Archived', revision = revision + 1, updated_by = \(caller.subject), updated_at = \(now)
                WHERE model_id = \(id) AND tenant_id = \(caller.tenant) AND stage = \(stage.rawValue) AND version <> \(number) AND deleted_at IS NULL
                RETURNING version
                """)
            for try await archived in rows.decode(Int.self) { moved.append(archived) }
        }
        try await tx.execute("""
            UPDATE registry.versions SET stage = \(stage.rawValue), revision = revision + 1, updated_by = \(caller.subject), updated_at = \(now)
            WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant)
            """)
        for changed in moved {
            let current = try await version(modelName, changed, on: tx)
            try await emit(RegistryEvent.ModelVersionUpdated(modelName: modelName, version: changed, description: current.description, stage: current.stage,
                                                             metrics: current.metrics, signature: current.signature, updatedBy: caller.subject,
                                                             updatedAt: now),
                           model: modelName, subject: "models/\(modelName)/versions/\(changed)", caller: caller, causation: causation, on: tx)
        }
    }

    /// Soft delete; aliases pointing at the version are removed (with history), as in MLflow.
    /// A version a protected alias points to is not deleted: that alias changes only through
    /// governance or an admin's explicit alias delete.
    func deleteVersion(_ caller: Caller, modelName: String, version number: Int) async throws {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            let model = try await model(named: modelName, on: tx)
            _ = try await version(modelName, number, on: tx)
            let protected = model.aliases.filter { $0.value == number && model.isProtected($0.key) }.keys.sorted()
            guard protected.isEmpty else {
                throw RegistryError.conflict("Version \(number) is the target of the protected alias \(protected.joined(separator: ", ")); delete that alias first.")
            }
            let now = Date()
            try await tx.execute("""
                UPDATE registry.versions SET deleted_at = \(now), revision = revision + 1 WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant)
                """)
            let rows = try await tx.query("""
                DELETE FROM registry.aliases WHERE model_id = \(id) AND tenant_id = \(caller.tenant) AND version = \(number) RETURNING alias
                """)
            var removed: [String] = []
            for try await alias in rows.decode(String.self) { removed.append(alias) }
            for alias in removed {
                try await recordAliasHistory(id, alias: alias, previous: number, version: nil, reason: "version deleted", promotion: nil, caller, at: now, on: tx)
                try await emit(RegistryEvent.AliasDeleted(modelName: modelName, alias: alias, previousVersion: number, reason: "version deleted",
                                                          deletedBy: caller.subject, deletedAt: now), model: modelName, caller: caller, on: tx)
            }
            if !removed.isEmpty { try await touchModel(id, on: tx) }
            try await emit(RegistryEvent.ModelVersionDeleted(modelName: modelName, version: number, deletedBy: caller.subject, deletedAt: now),
                           model: modelName, subject: "models/\(modelName)/versions/\(number)", caller: caller, on: tx)
        }
    }

    func setVersionTag(_ caller: Caller, modelName: String, version number: Int, key: String, value: String) async throws {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            _ = try await version(modelName, number, on: tx)
            try await tx.execute("""
                INSERT INTO registry.version_tags VALUES (\(caller.tenant), \(id), \(number), \(key), \(value))
                ON CONFLICT (model_id, version, key) DO UPDATE SET value = EXCLUDED.value
                """)
            try await bumpVersion(id, number, on: tx)
            try await emit(RegistryEvent.TagSet(modelName: modelName, version: number, key: key, value: value, setBy: caller.subject, setAt: Date()),
                           model: modelName, subject: "models/\(modelName)/versions/\(number)", caller: caller, on: tx)
        }
    }

    func deleteVersionTag(_ caller: Caller, modelName: String, version number: Int, key: String) async throws {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            _ = try await version(modelName, number, on: tx)
            let deleted = try await tx.countRows("""
                DELETE FROM registry.version_tags WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant) AND key = \(key) RETURNING 1
                """)
            guard deleted == 1 else { throw RegistryError.notFound("Tag '\(key)' of model version \(number) of '\(modelName)'") }
            try await bumpVersion(id, number, on: tx)
            try await emit(RegistryEvent.TagDeleted(modelName: modelName, version: number, key: key, deletedBy: caller.subject, deletedAt: Date()),
                           model: modelName, subject: "models/\(modelName)/versions/\(number)", caller: caller, on: tx)
        }
    }

    /// Replaces a version's model card.
    func setCard(_ caller: Caller, modelName: String, version number: Int, card: ModelCard, expectedRevision: Int64? = nil) async throws -> ModelVersion {
        try await transaction(caller) { tx in
            let id = try await lockModel(modelName, on: tx)
            let current = try await version(modelName, number, on: tx)
            if let expectedRevision, expectedRevision != current.revision { throw RegistryError.stale }
            let now = Date()
            try await tx.execute("""
                UPDATE registry.versions SET card = \(try JSONText.encode(card))::jsonb, revision = revision + 1, updated_by = \(caller.subject), updated_at = \(now)
                WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant)
                """)
            try await emit(RegistryEvent.ModelCardUpdated(modelName: modelName, version: number, card: card, completeness: card.completeness,
                                                          missingSections: card.missingSections, updatedBy: caller.subject, updatedAt: now),
                           model: modelName, subject: "models/\(modelName)/versions/\(number)/card", caller: caller, on: tx)
            return try await version(modelName, number, on: tx)
        }
    }

    /// A version's card; an empty card when none was written.
    func card(_ caller: Caller, modelName: String, version number: Int) async throws -> (card: ModelCard, version: ModelVersion) {
        try await transaction(caller) { tx in
            let version = try await version(modelName, number, on: tx)
            var text: String?
            for try await value in try await tx.query("""
                SELECT v.card::text FROM registry.versions v JOIN registry.models m ON m.id = v.model_id
                WHERE v.tenant_id = \(caller.tenant) AND m.name = \(modelName) AND m.deleted_at IS NULL AND v.version = \(number)
                """).decode(String?.self) { text = value }
            let card = try JSONText.decode(text, as: ModelCard.self)
                ?? ModelCard(trainingData: version.datasetVersions, evaluation: [], owners: [])
            return (card, version)
        }
    }

    func bumpVersion(_ id: UUID, _ number: Int, on tx: RegistryTransaction) async throws {
        let caller = tx.caller
        try await tx.execute("""
            UPDATE registry.versions SET revision = revision + 1, updated_by = \(caller.subject), updated_at = \(Date())
            WHERE model_id = \(id) AND version = \(number) AND tenant_id = \(caller.tenant)
            """)
    }

    static let versionColumns = """
        SELECT m.name, v.version, v.source, v.run_id, v.run_link, v.description, v.status, v.status_message, v.stage, v.signature::text, v.params::text,
            v.dataset_versions::text, v.feature_views, v.openlineage_run_id, v.parent_version, v.revision, v.created_by, v.created_at, v.updated_by, v.updated_at,
            COALESCE((SELECT jsonb_object_agg(t.key, t.value) FROM registry.version_tags t WHERE t.model_id = v.model_id AND t.version = v.version AND t.tenant_id = v.tenant_id), '{}')::text,
            COALESCE((SELECT jsonb_object_agg(x.name, x.value) FROM registry.version_metrics x WHERE x.model_id = v.model_id AND x.version = v.version AND x.tenant_id = v.tenant_id), '{}')::text,
            COALESCE((SELECT array_agg(a.alias ORDER BY a.alias) FROM registry.aliases a WHERE a.model_id = v.model_id AND a.version = v.version AND a.tenant_id = v.tenant_id), '{}')
        FROM registry.versions v JOIN registry.models m ON m.id = v.model_id AND m.tenant_id = v.tenant_id
        """

    func versions(_ query: QueryBuilder, on tx: RegistryTransaction) async throws -> [ModelVersion] {
        var result: [ModelVersion] = []
        for try await row in try await tx.query(query.query) {
            result.append(try Self.version(from: row))
        }
        return result
    }

    /// A row of ``versionColumns``.
    static func version(from row: PostgresRow) throws -> ModelVersion {
        let cells = row.makeRandomAccess()
        func cell<T: PostgresDecodable>(_ index: Int, _: T.Type) throws -> T { try cells[index].decode(T.self) }
        let status = try cell(6, String.self)
        let stage = try cell(8, String.self)
        return ModelVersion(
            modelName: try cell(0, String.self), version: try cell(1, Int.self), source: try cell(2, String.self),
            runID: try cell(3, String?.self), runLink: try cell(4, String?.self), description: try cell(5, String?.self),
            status: ModelVersionStatus(rawValue: status) ?? .ready, statusMessage: try cell(7, String?.self),
            stage: ModelVersionStage(rawValue: stage) ?? .none,
            signature: try JSONText.decode(try cell(9, String?.self), as: ModelSignature.self),
            metrics: try JSONText.decode(try cell(21, String.self), as: [String: Double].self),
            params: try JSONText.decode(try cell(10, String.self), as: [String: String].self),
            tags: try JSONText.decode(try cell(20, String.self), as: [String: String].self),
            datasetVersions: try JSONText.decode(try cell(11, String.self), as: [DatasetVersionRef].self),
            featureViews: try cell(12, [String].self), openLineageRunID: try cell(13, String?.self), parentVersion: try cell(14, Int?.self),
            aliases: try cell(22, [String].self), revision: try cell(15, Int64.self), createdBy: try cell(16, String.self),
            createdAt: try cell(17, Date.self), updatedBy: try cell(18, String.self), updatedAt: try cell(19, Date.self))
    }
}
