import Foundation
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// How a model search filters: every condition must hold.
struct ModelFilter: Sendable, Equatable {
    enum Match: Sendable, Equatable {
        case equals(String)
        case notEquals(String)
        /// SQL LIKE pattern (`%`, `_`), case-sensitive or not.
        case like(String, caseInsensitive: Bool)
    }

    var name: [Match] = []
    var owner: String?
    /// Tag conditions: a model matches if it has the tag with a matching value; for `.notEquals`,
    /// if it does not have the tag with that value.
    var tags: [(key: String, match: Match)] = []

    init() {}

    static func == (lhs: ModelFilter, rhs: ModelFilter) -> Bool {
        lhs.name == rhs.name && lhs.owner == rhs.owner && lhs.tags.map(\.key) == rhs.tags.map(\.key) && lhs.tags.map(\.match) == rhs.tags.map(\.match)
    }
}

/// The order of a model search; the name breaks ties, so pages are stable.
enum ModelOrder: Sendable, Equatable {
    case name(ascending: Bool)
    case updatedAt(ascending: Bool)
}

/// Where the previous page ended.
struct ModelCursor: Codable, Sendable, Equatable {
    var name: String
    var updatedAt: Date?
}

extension QueryBuilder {
    /// Appends ` AND <column> <op> $n` for one match.
    mutating func appendMatch(_ column: String, _ match: ModelFilter.Match) {
        switch match {
        case .equals(let value): append(" AND \(column) = \(bind(value))")
        case .notEquals(let value): append(" AND \(column) <> \(bind(value))")
        case .like(let pattern, let caseInsensitive): append(" AND \(column) \(caseInsensitive ? "ILIKE" : "LIKE") \(bind(pattern))")
        }
    }
}

extension RegistryStore {
    func createModel(_ caller: Caller, name: String, description: String?, owner: String?, tags: [String: String],
                            protectedAliases: [String]? = nil, protectedStages: [ModelVersionStage]? = nil) async throws -> RegisteredModel {
        try await transaction(caller) { tx in
            let now = Date()
            let id = UUID()
            let inserted = try await tx.countRows("""
                INSERT INTO registry.models (tenant_id, id, name, description, owner, protected_aliases, protected_stages, created_by, created_at,
                                             updated_by, updated_at)
                VALUES (\(caller.tenant), \(id), \(name), \(description), \(owner), \(protectedAliases ?? ["champion", "production"]),
                        \((protectedStages ?? [.production]).map(\.rawValue)), \(caller.subject), \(now), \(caller.subject), \(now))
                ON CONFLICT (tenant_id, name) WHERE deleted_at IS NULL DO NOTHING RETURNING 1
                """)
            guard inserted == 1 else { throw RegistryError.alreadyExists("Registered model '\(name)'") }
            for (key, value) in tags {
                try await tx.execute("INSERT INTO registry.model_tags VALUES (\(caller.tenant), \(id), \(key), \(value))")
            }
            try await emit(RegistryEvent.ModelCreated(modelName: name, description: description, owner: owner, tags: tags,
                                                      createdBy: caller.subject, createdAt: now), model: name, caller: caller, on: tx)
            return try await model(named: name, on: tx)
        }
    }

    func model(named name: String, _ caller: Caller) async throws -> RegisteredModel {
        try await transaction(caller) { try await model(named: name, on: $0) }
    }

    func model(named name: String, on tx: RegistryTransaction) async throws -> RegisteredModel {
        let caller = tx.caller
        var query = QueryBuilder(Self.modelColumns)
        query.append(" WHERE m.tenant_id = \(query.bind(caller.tenant)) AND m.name = \(query.bind(name)) AND m.deleted_at IS NULL")
        guard let model = try await models(query, on: tx).first else {
            throw RegistryError.notFound("Registered model '\(name)'")
        }
        return model
    }

    /// One page of models matching `filter`, in `order`, after `cursor`; and the cursor of the next page.
    func searchModels(_ caller: Caller, filter: ModelFilter, order: ModelOrder, limit: Int, after cursor: ModelCursor?) async throws
        -> (models: [RegisteredModel], next: ModelCursor?) {
        try await transaction(caller) { tx in
            try await searchModels(filter: filter, order: order, limit: limit, after: cursor, on: tx)
        }
    }

    func searchModels(filter: ModelFilter, order: ModelOrder, limit: Int, after cursor: ModelCursor?, on tx: RegistryTransaction) async throws
        -> (models: [RegisteredModel], next: ModelCursor?) {
        let caller = tx.caller
        var query = QueryBuilder(Self.modelColumns)
        query.append(" WHERE m.tenant_id = \(query.bind(caller.tenant)) AND m.deleted_at IS NULL")
        for match in filter.name { query.appendMatch("m.name", match) }
        if let owner = filter.owner { query.append(" AND m.owner = \(query.bind(owner))") }
        // Equality filters on tags: one containment test on the GIN-indexed copy of the tags.
        var required: [String: String] = [:]
        var contradictory = false
        for tag in filter.tags {
            if case .equals(let value) = tag.match {
                if let other = required[tag.key], other != value { contradictory = true }
                required[tag.key] = value
            }
        }
        if contradictory { query.append(" AND false") }
        if !required.isEmpty { query.append(" AND m.tag_index @> \(query.bind(try JSONText.encode(required)))::jsonb") }
        for tag in filter.tags {
            if case .equals = tag.match { continue }
            // `!=` also matches models without the tag, as MLflow's prompt filter expects.
            let negated: Bool
            if case .notEquals = tag.match { negated = true } else { negated = false }
            query.append(" AND \(negated ? "NOT EXISTS" : "EXISTS") (SELECT 1 FROM registry.model_tags t WHERE t.model_id = m.id AND t.tenant_id = m.tenant_id AND t.key = \(query.bind(tag.key))")
            if case .notEquals(let value) = tag.match { query.appendMatch("t.value", .equals(value)) } else { query.appendMatch("t.value", tag.match) }
            query.append(")")
        }
        switch order {
        case .name(let ascending):
            if let cursor { query.append(" AND m.name \(ascending ? ">" : "<") \(query.bind(cursor.name))") }
            query.append(" ORDER BY m.name \(ascending ? "ASC" : "DESC")")
        case .updatedAt(let ascending):
            if let cursor, let updatedAt = cursor.updatedAt {
                query.append(" AND (m.updated_at, m.name) \(ascending ? ">" : "<") (\(query.bind(updatedAt)), \(query.bind(cursor.name)))")
            }
            query.append(" ORDER BY m.updated_at \(ascending ? "ASC" : "DESC"), m.name \(ascending ? "ASC" : "DESC")")
        }
        query.append(" LIMIT \(query.bind(limit + 1))")
        var page = try await models(query, on: tx)
        var next: ModelCursor?
        if page.count > limit {
            page.removeLast()
            next = page.last.map { ModelCursor(name: $0.name, updatedAt: $0.updatedAt) }
        }
        return (page, next)
    }

    /// Changes description, owner and tags (tags: keys set to a value are set, the others kept
    /// unless `replaceTags`). `expectedRevision` guards against lost updates.
    func updateModel(_ caller: Caller, name: String, description: String?? = nil, owner: String?? = nil,
                            tags: [String: String]? = nil, replaceTags: Bool = false, expectedRevision: Int64? = nil) async throws -> RegisteredModel {
        try await transaction(caller) { tx in
            let id = try await lockModel(name, on: tx)
            let current = try await model(named: name, on: tx)
            if let expectedRevision, expectedRevision != current.revision { throw RegistryError.stale }
            let newDescription = description ?? current.description
            let newOwner = owner ?? current.owner
            try await tx.execute("""
                UPDATE registry.models SET description = \(newDescription), owner = \(newOwner), revision = revision + 1,
                    updated_by = \(caller.subject), updated_at = \(Date())
                WHERE id = \(id) AND tenant_id = \(caller.tenant)
                """)
            if let tags {
                if replaceTags { try await tx.execute("DELETE FROM registry.model_tags WHERE model_id = \(id) AND tenant_id = \(caller.tenant)") }
                for (key, value) in tags { try await upsertModelTag(id, key: key, value: value, on: tx) }
            }
            let updated = try await model(named: name, on: tx)
            try await emit(RegistryEvent.ModelUpdated(modelName: name, description: updated.description, owner: updated.owner, tags: updated.tags,
                                                      updatedBy: caller.subject, updatedAt: updated.updatedAt), model: name, caller: caller, on: tx)
            return updated
        }
    }

    func renameModel(_ caller: Caller, name: String, to newName: String) async throws -> RegisteredModel {
        try await transaction(caller) { tx in
            let id = try await lockModel(name, on: tx)
            guard newName != name else { return try await model(named: name, on: tx) }
            let taken = try await tx.countRows("""
                SELECT 1 FROM registry.models WHERE tenant_id = \(caller.tenant) AND name = \(newName) AND deleted_at IS NULL
                """)
            guard taken == 0 else { throw RegistryError.alreadyExists("Registered model '\(newName)'") }
            let now = Date()
            try await tx.execute("""
                UPDATE registry.models SET name = \(newName), revision = revision + 1, updated_by = \(caller.subject), updated_at = \(now)
                WHERE id = \(id) AND tenant_id = \(caller.tenant)
                """)
            try await emit(RegistryEvent.ModelRenamed(previousName: name, modelName: newName, renamedBy: caller.subject, renamedAt: now),
                           model: newName, caller: caller, on: tx)
            return try await model(named: newName, on: tx)
        }
    }

    /// Soft delete: the model, its versions and aliases stop resolving; the rows and history stay.
    /// A model with a protected alias set is not deleted (delete the alias first).
    func deleteModel(_ caller: Caller, name: String, expectedRevision: Int64? = nil) async throws {
        try await transaction(caller) { tx in
            let id = try await lockModel(name, on: tx)
            let current = try await model(named: name, on: tx)
            if let expectedRevision, expectedRevision != current.revision { throw RegistryError.stale }
            let protected = current.aliases.keys.filter(current.isProtected).sorted()
            guard protected.isEmpty else {
                throw RegistryError.conflict("Model '\(name)' has the protected alias \(protected.joined(separator: ", ")); delete it first.")
            }
            let now = Date()
            try await tx.execute("UPDATE registry.models SET deleted_at = \(now), revision = revision + 1 WHERE id = \(id) AND tenant_id = \(caller.tenant)")
            try await tx.execute("UPDATE registry.versions SET deleted_at = \(now) WHERE model_id = \(id) AND tenant_id = \(caller.tenant) AND deleted_at IS NULL")
            try await tx.execute("DELETE FROM registry.aliases WHERE model_id = \(id) AND tenant_id = \(caller.tenant)")
            try await emit(RegistryEvent.ModelDeleted(modelName: name, deletedBy: caller.subject, deletedAt: now), model: name, caller: caller, on: tx)
        }
    }

    func setModelTag(_ caller: Caller, name: String, key: String, value: String) async throws {
        try await transaction(caller) { tx in
            let id = try await lockModel(name, on: tx)
            try await upsertModelTag(id, key: key, value: value, on: tx)
            try await touchModel(id, on: tx)
            try await emit(RegistryEvent.TagSet(modelName: name, version: nil, key: key, value: value, setBy: caller.subject, setAt: Date()),
                           model: name, caller: caller, on: tx)
        }
    }

    func deleteModelTag(_ caller: Caller, name: String, key: String) async throws {
        try await transaction(caller) { tx in
            let id = try await lockModel(name, on: tx)
            let deleted = try await tx.countRows("""
                DELETE FROM registry.model_tags WHERE model_id = \(id) AND tenant_id = \(caller.tenant) AND key = \(key) RETURNING 1
                """)
            guard deleted == 1 else { throw RegistryError.notFound("Tag '\(key)' of registered model '\(name)'") }
            try await touchModel(id, on: tx)
            try await emit(RegistryEvent.TagDeleted(modelName: name, version: nil, key: key, deletedBy: caller.subject, deletedAt: Date()),
                           model: name, caller: caller, on: tx)
        }
    }

    /// Replaces the set of stages a version enters only through governance.
    func setProtectedStages(_ caller: Caller, name: String, stages: [ModelVersionStage]) async throws -> RegisteredModel {
        try await transaction(caller) { tx in
            let id = try await lockModel(name, on: tx)
            try await tx.execute("""
                UPDATE registry.models SET protected_stages = \(stages.map(\.rawValue)), revision = revision + 1, updated_by = \(caller.subject),
                    updated_at = \(Date())
                WHERE id = \(id) AND tenant_id = \(caller.tenant)
                """)
            return try await model(named: name, on: tx)
        }
    }

    /// Replaces the set of aliases that move only through governance.
    func setProtectedAliases(_ caller: Caller, name: String, aliases: [String]) async throws -> RegisteredModel {
        try await transaction(caller) { tx in
            let id = try await lockModel(name, on: tx)
            try await tx.execute("""
                UPDATE registry.models SET protected_aliases = \(aliases), revision = revision + 1, updated_by = \(caller.subject), updated_at = \(Date())
                WHERE id = \(id) AND tenant_id = \(caller.tenant)
                """)
            return try await model(named: name, on: tx)
        }
    }

    func upsertModelTag(_ id: UUID, key: String, value: String, on tx: RegistryTransaction) async throws {
        let caller = tx.caller
        try await tx.execute("""
            INSERT INTO registry.model_tags VALUES (\(caller.tenant), \(id), \(key), \(value))
            ON CONFLICT (model_id, key) DO UPDATE SET value = EXCLUDED.value
            """)
    }

    func touchModel(_ id: UUID, on tx: RegistryTransaction) async throws {
        let caller = tx.caller
        try await tx.execute("""
            UPDATE registry.models SET revision = revision + 1, updated_by = \(caller.subject), updated_at = \(Date())
            WHERE id = \(id) AND tenant_id = \(caller.tenant)
            """)
    }

    static let modelColumns = """
        SELECT m.id, m.name, m.description, m.owner, m.protected_aliases, m.protected_stages, m.revision, m.created_by, m.created_at, m.updated_by, m.updated_at,
            COALESCE((SELECT jsonb_object_agg(t.key, t.value) FROM registry.model_tags t WHERE t.model_id = m.id AND t.tenant_id = m.tenant_id), '{}')::text,
            COALESCE((SELECT jsonb_object_agg(a.alias, a.version) FROM registry.aliases a WHERE a.model_id = m.id AND a.tenant_id = m.tenant_id), '{}')::text
        FROM registry.models m
        """

    func models(_ query: QueryBuilder, on tx: RegistryTransaction) async throws -> [RegisteredModel] {
        var result: [RegisteredModel] = []
        let rows = try await tx.query(query.query)
        for try await row in rows {
            let (id, name, description, owner, protected, stages, revision, createdBy, createdAt, updatedBy, updatedAt, tags, aliases) =
                try row.decode((UUID, String, String?, String?, [String], [String], Int64, String, Date, String, Date, String, String).self)
            result.append(RegisteredModel(id: id, name: name, description: description, owner: owner,
                                          tags: try JSONText.decode(tags, as: [String: String].self),
                                          aliases: try JSONText.decode(aliases, as: [String: Int].self),
                                          protectedAliases: protected, protectedStages: stages.compactMap(ModelVersionStage.init(rawValue:)),
                                          revision: revision, createdBy: createdBy, createdAt: createdAt,
                                          updatedBy: updatedBy, updatedAt: updatedAt))
        }
        return result
    }
}
