import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// How a version search filters: every condition must hold.
struct VersionFilter: Sendable {
    enum Comparison: String, Sendable {
        case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    var modelName: [ModelFilter.Match] = []
    var runID: [String] = []
    var source: [ModelFilter.Match] = []
    var versions: [(Comparison, Int)] = []
    var stages: [ModelVersionStage] = []
    var statuses: [ModelVersionStatus] = []
    /// As in ``ModelFilter/tags``: `.notEquals` also matches versions without the tag.
    var tags: [(key: String, match: ModelFilter.Match)] = []
    var metrics: [(name: String, comparison: Comparison, value: Double)] = []

    init() {}
}

/// The order of a version search; model name then version break ties.
enum VersionOrder: Sendable, Equatable {
    case modelAndVersion(ascending: Bool)
    case createdAt(ascending: Bool)
    /// The time of the version's last change (`updated_at`, MLflow's `last_updated_timestamp`).
    case updatedAt(ascending: Bool)
}

/// Where the previous page of versions ended.
struct VersionCursor: Codable, Sendable, Equatable {
    var modelName: String
    var version: Int
    var createdAt: Date?
    var updatedAt: Date?
}

extension QueryBuilder {
    /// Orders versions by a time column, then model name and version, after the cursor's row.
    mutating func appendTimeOrder(_ column: String, after cursor: VersionCursor?, at time: Date?, ascending: Bool) {
        if let cursor, let time {
            append(" AND (\(column), m.name, v.version) \(ascending ? ">" : "<") (\(bind(time)), \(bind(cursor.modelName)), \(bind(cursor.version)))")
        }
        let direction = ascending ? "ASC" : "DESC"
        append(" ORDER BY \(column) \(direction), m.name \(direction), v.version \(direction)")
    }
}

extension RegistryStore {
    func searchVersions(_ caller: Caller, filter: VersionFilter, order: VersionOrder, limit: Int, after cursor: VersionCursor?) async throws
        -> (versions: [ModelVersion], next: VersionCursor?) {
        try await transaction(caller) { tx in
            var query = QueryBuilder(Self.versionColumns)
            query.append(" WHERE v.tenant_id = \(query.bind(caller.tenant)) AND m.deleted_at IS NULL AND v.deleted_at IS NULL")
            for match in filter.modelName { query.appendMatch("m.name", match) }
            for match in filter.source { query.appendMatch("v.source", match) }
            if !filter.runID.isEmpty { query.append(" AND v.run_id = ANY(\(query.bind(filter.runID)))") }
            for (comparison, number) in filter.versions { query.append(" AND v.version \(comparison.rawValue) \(query.bind(number))") }
            if !filter.stages.isEmpty { query.append(" AND v.stage = ANY(\(query.bind(filter.stages.map(\.rawValue))))") }
            if !filter.statuses.isEmpty { query.append(" AND v.status = ANY(\(query.bind(filter.statuses.map(\.rawValue))))") }
            // Every tag condition is an expression on the version's jsonb copy of its tags (no
            // join per condition): equalities as one containment test on its GIN index; `!=`
            // also matches versions without the tag, as MLflow's filter expects.
            var required: [String: String] = [:]
            for tag in filter.tags {
                let value = "(v.tag_index ->> \(query.bind(tag.key)))"
                switch tag.match {
                case .equals(let expected):
                    if let other = required[tag.key], other != expected { query.append(" AND false") }
                    required[tag.key] = expected
                case .notEquals(let unexpected): query.append(" AND \(value) IS DISTINCT FROM \(query.bind(unexpected))")
                case .like: query.appendMatch(value, tag.match)
                }
            }
            if !required.isEmpty { query.append(" AND v.tag_index @> \(query.bind(try JSONText.encode(required)))::jsonb") }
            for metric in filter.metrics {
                query.append(" AND EXISTS (SELECT 1 FROM registry.version_metrics x WHERE x.model_id = v.model_id AND x.version = v.version AND x.tenant_id = v.tenant_id")
                query.append(" AND x.name = \(query.bind(metric.name)) AND x.value \(metric.comparison.rawValue) \(query.bind(metric.value)))")
            }
            switch order {
            case .modelAndVersion(let ascending):
                if let cursor {
                    query.append(" AND (m.name, v.version) \(ascending ? ">" : "<") (\(query.bind(cursor.modelName)), \(query.bind(cursor.version)))")
                }
                query.append(" ORDER BY m.name \(ascending ? "ASC" : "DESC"), v.version \(ascending ? "ASC" : "DESC")")
            case .createdAt(let ascending):
                query.appendTimeOrder("v.created_at", after: cursor, at: cursor?.createdAt, ascending: ascending)
            case .updatedAt(let ascending):
                query.appendTimeOrder("v.updated_at", after: cursor, at: cursor?.updatedAt, ascending: ascending)
            }
            query.append(" LIMIT \(query.bind(limit + 1))")
            var page = try await versions(query, on: tx)
            var next: VersionCursor?
            if page.count > limit {
                page.removeLast()
                next = page.last.map { VersionCursor(modelName: $0.modelName, version: $0.version, createdAt: $0.createdAt, updatedAt: $0.updatedAt) }
            }
            return (page, next)
        }
    }

    /// The newest version in each stage (or in the given stages), as MLflow's latest versions.
    func latestVersions(_ caller: Caller, modelName: String, stages: [ModelVersionStage]) async throws -> [ModelVersion] {
        try await transaction(caller) { tx in
            let model = try await model(named: modelName, on: tx)
            return try await latestVersions(of: [model.id], stages: stages, on: tx)
        }
    }

    /// The newest version per stage of each of the models, by model name (MLflow's `latest_versions`).
    func latestVersions(_ caller: Caller, of models: [RegisteredModel]) async throws -> [String: [ModelVersion]] {
        guard !models.isEmpty else { return [:] }
        return try await transaction(caller) { tx in
            Dictionary(grouping: try await latestVersions(of: models.map(\.id), stages: [], on: tx), by: \.modelName)
        }
    }

    /// A page of a model search with the `latest_versions` of its models, in one transaction
    /// and two statements, whatever the page's size.
    func searchModelsWithLatestVersions(_ caller: Caller, filter: ModelFilter, order: ModelOrder, limit: Int, after cursor: ModelCursor?) async throws
        -> (models: [RegisteredModel], latest: [String: [ModelVersion]], next: ModelCursor?) {
        try await transaction(caller) { tx in
            let (models, next) = try await searchModels(filter: filter, order: order, limit: limit, after: cursor, on: tx)
            let latest = models.isEmpty ? [] : try await latestVersions(of: models.map(\.id), stages: [], on: tx)
            return (models, Dictionary(grouping: latest, by: \.modelName), next)
        }
    }

    func latestVersions(of modelIDs: [UUID], stages: [ModelVersionStage], on tx: RegistryTransaction) async throws -> [ModelVersion] {
        var result: [ModelVersion] = []
        for try await version in try await tx.query(LatestVersions(tenant: tx.tenant, modelIDs: modelIDs, stages: stages.map(\.rawValue))) {
            result.append(version)
        }
        return result
    }
}

/// The newest live version per stage (of `stages`, or of all when empty) of each of the models,
/// ordered by model name and version. Prepared: it runs with every MLflow model read and search.
struct LatestVersions: PostgresPreparedStatement {
    static let sql = RegistryStore.versionColumns + """
         WHERE v.tenant_id = $1 AND m.deleted_at IS NULL AND (v.model_id, v.version) IN (
            SELECT DISTINCT ON (w.model_id, w.stage) w.model_id, w.version FROM registry.versions w
            WHERE w.tenant_id = $1 AND w.model_id = ANY($2) AND w.deleted_at IS NULL AND (cardinality($3::text[]) = 0 OR w.stage = ANY($3))
            ORDER BY w.model_id, w.stage, w.version DESC)
        ORDER BY m.name, v.version
        """
    typealias Row = ModelVersion
    let tenant: String
    let modelIDs: [UUID]
    let stages: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(tenant)
        bindings.append(modelIDs)
        bindings.append(stages)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ModelVersion {
        try RegistryStore.version(from: row)
    }
}
