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
}

/// Where the previous page of versions ended.
struct VersionCursor: Codable, Sendable, Equatable {
    var modelName: String
    var version: Int
    var createdAt: Date?
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
                if let cursor, let createdAt = cursor.createdAt {
                    query.append(" AND (v.created_at, m.name, v.version) \(ascending ? ">" : "<") (\(query.bind(createdAt)), \(query.bind(cursor.modelName)), \(query.bind(cursor.version)))")
                }
                query.append(" ORDER BY v.created_at \(ascending ? "ASC" : "DESC"), m.name \(ascending ? "ASC" : "DESC"), v.version \(ascending ? "ASC" : "DESC")")
            }
            query.append(" LIMIT \(query.bind(limit + 1))")
            var page = try await versions(query, on: tx)
            var next: VersionCursor?
            if page.count > limit {
                page.removeLast()
                next = page.last.map { VersionCursor(modelName: $0.modelName, version: $0.version, createdAt: $0.createdAt) }
            }
            return (page, next)
        }
    }

    /// The newest version in each stage (or in the given stages), as MLflow's latest versions.
    func latestVersions(_ caller: Caller, modelName: String, stages: [ModelVersionStage]) async throws -> [ModelVersion] {
        try await transaction(caller) { tx in
            _ = try await model(named: modelName, on: tx)
            return try await latestVersions(caller, modelNames: [modelName], stages: stages, on: tx)
        }
    }

    /// The newest version per stage of each of the models, in one query (a search page's `latest_versions`).
    func latestVersions(_ caller: Caller, modelNames: [String]) async throws -> [String: [ModelVersion]] {
        guard !modelNames.isEmpty else { return [:] }
        return try await transaction(caller) { tx in
            Dictionary(grouping: try await latestVersions(caller, modelNames: modelNames, stages: [], on: tx), by: \.modelName)
        }
    }

    func latestVersions(_ caller: Caller, modelNames: [String], stages: [ModelVersionStage], on tx: RegistryTransaction) async throws -> [ModelVersion] {
        var query = QueryBuilder(Self.versionColumns)
        query.append(" WHERE v.tenant_id = \(query.bind(caller.tenant)) AND m.name = ANY(\(query.bind(modelNames))) AND m.deleted_at IS NULL AND v.deleted_at IS NULL")
        if !stages.isEmpty { query.append(" AND v.stage = ANY(\(query.bind(stages.map(\.rawValue))))") }
        query.append(" AND v.version = (SELECT max(w.version) FROM registry.versions w WHERE w.model_id = v.model_id AND w.stage = v.stage AND w.deleted_at IS NULL)")
        query.append(" ORDER BY m.name, v.version")
        return try await versions(query, on: tx)
    }
}
