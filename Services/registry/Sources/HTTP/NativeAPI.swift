import Foundation
import Hummingbird
import MaestroEvents
import MaestroService

/// The native API under `/v1` (Services/registry/openapi.yaml).
struct NativeAPI: Sendable {
    let store: RegistryStore
    let cache: AliasCache?
    static let defaultPageSize = 50
    static let maxPageSize = 500

    func register(on router: Router<MaestroRequestContext>) {
        let v1 = router.group("v1").add(middleware: RegistryErrorMiddleware())
        v1.post("models", use: createModel)
        v1.get("models", use: listModels)
        v1.get("models/:name", use: getModel)
        v1.patch("models/:name", use: updateModel)
        v1.delete("models/:name", use: deleteModel)
        v1.post("models/:name/rename", use: renameModel)
        v1.put("models/:name/tags/:key", use: setModelTag)
        v1.delete("models/:name/tags/:key", use: deleteModelTag)
        v1.post("models/:name/versions", use: createVersion)
        v1.get("models/:name/versions", use: listModelVersions)
        v1.get("models/:name/versions/:version", use: getVersion)
        v1.patch("models/:name/versions/:version", use: updateVersion)
        v1.delete("models/:name/versions/:version", use: deleteVersion)
        v1.put("models/:name/versions/:version/tags/:key", use: setVersionTag)
        v1.delete("models/:name/versions/:version/tags/:key", use: deleteVersionTag)
        v1.get("models/:name/versions/:version/card", use: getCard)
        v1.put("models/:name/versions/:version/card", use: putCard)
        v1.get("models/:name/versions/:version/card.md", use: getCardMarkdown)
        v1.put("models/:name/aliases/:alias", use: setAlias)
        v1.get("models/:name/aliases/:alias", use: resolveAlias)
        v1.delete("models/:name/aliases/:alias", use: deleteAlias)
        v1.get("models/:name/aliases/:alias/history", use: aliasHistory)
        v1.get("models/:name/alias-history", use: aliasHistory)
        v1.get("models/:name/promotions", use: promotions)
        v1.get("versions", use: searchVersions)
    }

    // MARK: models

    @Sendable func createModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        var request = request
        let body = try await request.decodeJSON(as: CreateModelRequest.self, context: context)
        try body.validate()
        // Choosing which aliases need governance is an admin's call; everyone else gets the default set.
        if body.protectedAliases != nil { _ = try context.require(.admin) }
        let model = try await store.createModel(caller, name: body.name, description: body.description, owner: body.owner ?? caller.subject,
                                                tags: body.tags ?? [:], protectedAliases: body.protectedAliases)
        var response = try Response.json(ModelBody(model), status: .created, etag: ETag(revision: model.revision))
        response.headers[.location] = "/v1/models/\(Self.escape(model.name))"
        return response
    }

    @Sendable func listModels(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let query = request.formQuery
        let page = try PageRequest<ModelCursor>(request, defaultSize: Self.defaultPageSize, maxSize: Self.maxPageSize)
        var filter = ModelFilter()
        if let prefix = query["name_prefix"] { filter.name.append(.like(Self.likePrefix(prefix), caseInsensitive: false)) }
        filter.owner = query["owner"]
        for tag in query.all("tag") {
            guard let colon = tag.firstIndex(of: ":") else {
                throw HTTPProblem.badRequest("tag filters are key:value.", errors: [.init(field: "tag", message: "must be key:value")])
            }
            filter.tags.append((String(tag[..<colon]), .equals(String(tag[tag.index(after: colon)...]))))
        }
        let order: ModelOrder
        switch query["order_by"] ?? "name" {
        case "name", "name asc": order = .name(ascending: true)
        case "name desc": order = .name(ascending: false)
        case "updated_at", "updated_at asc": order = .updatedAt(ascending: true)
        case "updated_at desc": order = .updatedAt(ascending: false)
        default: throw HTTPProblem.badRequest("order_by is one of name, name desc, updated_at, updated_at desc.", errors: [.init(field: "order_by", message: "unknown order")])
        }
        let (models, next) = try await store.searchModels(caller, filter: filter, order: order, limit: page.size, after: page.cursor)
        return try .json(Page(items: models.map(ModelBody.init), nextPageToken: next.map(PageToken.encode)))
    }

    @Sendable func getModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let model = try await store.model(named: try context.pathParameter("name"), try context.caller(.viewer))
        return try .json(ModelBody(model), etag: ETag(revision: model.revision))
    }

    @Sendable func updateModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let name = try context.pathParameter("name")
        var request = request
        let body = try await request.decodeJSON(as: UpdateModelRequest.self, context: context)
        try body.validate()
        if body.protectedAliases != nil { _ = try context.require(.admin) }
        var model = try await store.updateModel(caller, name: name, description: body.description.map { .some($0) },
                                                owner: body.owner.map { .some($0) }, tags: body.tags, expectedRevision: try request.expectedRevision())
        if let aliases = body.protectedAliases {
            model = try await store.setProtectedAliases(caller, name: name, aliases: aliases)
        }
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return try .json(ModelBody(model), etag: ETag(revision: model.revision))
    }

    @Sendable func deleteModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let name = try context.pathParameter("name")
        try await store.deleteModel(caller, name: name, expectedRevision: try request.expectedRevision())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    @Sendable func renameModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let name = try context.pathParameter("name")
        var request = request
        let body = try await request.decodeJSON(as: RenameModelRequest.self, context: context)
        var validation = FieldValidation()
        RegistryRules.checkName(body.newName, field: "new_name", into: &validation)
        try validation.validate()
        let model = try await store.renameModel(caller, name: name, to: body.newName)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return try .json(ModelBody(model), etag: ETag(revision: model.revision))
    }

    @Sendable func setModelTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let (name, key) = (try context.pathParameter("name"), try context.pathParameter("key"))
        var request = request
        let body = try await request.decodeJSON(as: TagValueRequest.self, context: context)
        var validation = FieldValidation()
        RegistryRules.checkTag(key: key, value: body.value, into: &validation)
        try validation.validate()
        try await store.setModelTag(caller, name: name, key: key, value: body.value)
        return Response(status: .noContent)
    }

    @Sendable func deleteModelTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try await store.deleteModelTag(try context.caller(.editor), name: try context.pathParameter("name"), key: try context.pathParameter("key"))
        return Response(status: .noContent)
    }

    // MARK: versions

    @Sendable func createVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let name = try context.pathParameter("name")
        var request = request
        let new = try await request.decodeJSON(as: CreateVersionRequest.self, context: context).validated()
        let version = try await store.createVersion(caller, modelName: name, new)
        var response = try Response.json(VersionBody(version), status: .created, etag: ETag(revision: version.revision))
        response.headers[.location] = "/v1/models/\(Self.escape(name))/versions/\(version.version)"
        return response
    }

    @Sendable func listModelVersions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let name = try context.pathParameter("name")
        _ = try await store.model(named: name, try context.caller(.viewer))
        var filter = VersionFilter()
        filter.modelName = [.equals(name)]
        return try await versions(request, context: context, filter: filter)
    }

    /// `GET /v1/versions?model=&tag=key:value&metric=auc>=0.9&run_id=&stage=&status=&order_by=`
    @Sendable func searchVersions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let query = request.formQuery
        var filter = VersionFilter()
        if let model = query["model"] { filter.modelName = [.equals(model)] }
        filter.runID = query.all("run_id")
        for tag in query.all("tag") {
            guard let colon = tag.firstIndex(of: ":") else {
                throw HTTPProblem.badRequest("tag filters are key:value.", errors: [.init(field: "tag", message: "must be key:value")])
            }
            filter.tags.append((String(tag[..<colon]), .equals(String(tag[tag.index(after: colon)...]))))
        }
        for metric in query.all("metric") {
            guard let match = metric.wholeMatch(of: /([^<>=!]+)(>=|<=|!=|=|<|>)(.+)/), let value = Double(match.3), value.isFinite else {
                throw HTTPProblem.badRequest("metric filters look like auc>=0.9.", errors: [.init(field: "metric", message: "must be name<op>number with op one of = != < <= > >=")])
            }
            let comparison: VersionFilter.Comparison = switch match.2 {
            case ">=": .greaterOrEqual
            case "<=": .lessOrEqual
            case "!=": .notEqual
            case "<": .less
            case ">": .greater
            default: .equal
            }
            filter.metrics.append((String(match.1), comparison, value))
        }
        for stage in query.all("stage") {
            guard let value = ModelVersionStage(rawValue: stage) else { throw HTTPProblem.badRequest("stage is one of None, Staging, Production, Archived.") }
            filter.stages.append(value)
        }
        for status in query.all("status") {
            guard let value = ModelVersionStatus(rawValue: status) else {
                throw HTTPProblem.badRequest("status is one of PENDING_REGISTRATION, READY, FAILED_REGISTRATION.")
            }
            filter.statuses.append(value)
        }
        return try await versions(request, context: context, filter: filter)
    }

    private func versions(_ request: Request, context: MaestroRequestContext, filter: VersionFilter) async throws -> Response {
        let caller = try context.caller(.viewer)
        let page = try PageRequest<VersionCursor>(request, defaultSize: Self.defaultPageSize, maxSize: Self.maxPageSize)
        let order: VersionOrder
        switch request.formQuery["order_by"] ?? "version" {
        case "version", "version asc": order = .modelAndVersion(ascending: true)
        case "version desc": order = .modelAndVersion(ascending: false)
        case "created_at", "created_at asc": order = .createdAt(ascending: true)
        case "created_at desc": order = .createdAt(ascending: false)
        default: throw HTTPProblem.badRequest("order_by is one of version, version desc, created_at, created_at desc.")
        }
        let (versions, next) = try await store.searchVersions(caller, filter: filter, order: order, limit: page.size, after: page.cursor)
        return try .json(Page(items: versions.map(VersionBody.init), nextPageToken: next.map(PageToken.encode)))
    }

    @Sendable func getVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let version = try await store.version(try context.pathParameter("name"), try context.versionParameter(), try context.caller(.viewer))
        return try .json(VersionBody(version), etag: ETag(revision: version.revision))
    }

    @Sendable func updateVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let (name, number) = (try context.pathParameter("name"), try context.versionParameter())
        var request = request
        let change = try await request.decodeJSON(as: UpdateVersionRequest.self, context: context).validated()
        let version = try await store.updateVersion(caller, modelName: name, version: number, change, expectedRevision: try request.expectedRevision())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return try .json(VersionBody(version), etag: ETag(revision: version.revision))
    }

    @Sendable func deleteVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let name = try context.pathParameter("name")
        try await store.deleteVersion(caller, modelName: name, version: try context.versionParameter())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    @Sendable func setVersionTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let (name, number, key) = (try context.pathParameter("name"), try context.versionParameter(), try context.pathParameter("key"))
        var request = request
        let body = try await request.decodeJSON(as: TagValueRequest.self, context: context)
        var validation = FieldValidation()
        RegistryRules.checkTag(key: key, value: body.value, into: &validation)
        try validation.validate()
        try await store.setVersionTag(caller, modelName: name, version: number, key: key, value: body.value)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    @Sendable func deleteVersionTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let name = try context.pathParameter("name")
        try await store.deleteVersionTag(caller, modelName: name, version: try context.versionParameter(), key: try context.pathParameter("key"))
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    // MARK: cards

    @Sendable func getCard(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (card, version) = try await store.card(try context.caller(.viewer), modelName: try context.pathParameter("name"), version: try context.versionParameter())
        return try .json(CardBody(modelName: version.modelName, version: version.version, card: card, completeness: card.completeness,
                                  missingSections: card.missingSections), etag: ETag(revision: version.revision))
    }

    @Sendable func putCard(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let (name, number) = (try context.pathParameter("name"), try context.versionParameter())
        var request = request
        let card = try await request.decodeJSON(as: CardRequest.self, context: context).validated()
        let version = try await store.setCard(caller, modelName: name, version: number, card: card, expectedRevision: try request.expectedRevision())
        return try .json(CardBody(modelName: name, version: number, card: card, completeness: card.completeness, missingSections: card.missingSections),
                         etag: ETag(revision: version.revision))
    }

    @Sendable func getCardMarkdown(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (card, version) = try await store.card(try context.caller(.viewer), modelName: try context.pathParameter("name"), version: try context.versionParameter())
        return Response(status: .ok, headers: [.contentType: "text/markdown; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: ModelCardMarkdown.render(card, version: version))))
    }

    // MARK: aliases

    @Sendable func setAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let (name, alias) = (try context.pathParameter("name"), try context.pathParameter("alias"))
        var request = request
        let body = try await request.decodeJSON(as: SetAliasRequest.self, context: context)
        var validation = FieldValidation()
        RegistryRules.checkAlias(alias, into: &validation)
        validation.check(body.version > 0, "version", "must be a positive version number")
        RegistryRules.checkDescription(body.reason, field: "reason", into: &validation)
        try validation.validate()
        let outcome = try await store.setAlias(caller, modelName: name, alias: alias, version: body.version, reason: body.reason)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        switch outcome {
        case .moved(let move): return try .json(AliasMoveHistoryBody(move: move))
        case .pending(let promotion): return try .json(PromotionBody(promotion: promotion), status: .accepted)
        }
    }

    /// Served from the alias cache when no `at` is given.
    @Sendable func resolveAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let (name, alias) = (try context.pathParameter("name"), try context.pathParameter("alias"))
        if let at = request.formQuery["at"] {
            guard let time = RFC3339.parse(at) else {
                throw HTTPProblem.badRequest("at must be an RFC 3339 time.", errors: [.init(field: "at", message: "must be an RFC 3339 time")])
            }
            return try .json(VersionBody(try await store.resolveAlias(caller, modelName: name, alias: alias, at: time)))
        }
        if let cache, let body = await cache.get(tenant: caller.tenant, model: name, alias: alias) {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let version = try await store.resolveAlias(caller, modelName: name, alias: alias)
        let body = try EventCoding.makeEncoder().encode(VersionBody(version))
        await cache?.put(tenant: caller.tenant, model: name, alias: alias, body: Array(body))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Deleting a protected alias takes an admin: it is the one way to change one without governance.
    @Sendable func deleteAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let (name, alias) = (try context.pathParameter("name"), try context.pathParameter("alias"))
        let model = try await store.model(named: name, caller)
        if model.protectedAliases.contains(alias) { _ = try context.require(.admin) }
        let reason = request.formQuery["reason"]
        var validation = FieldValidation()
        RegistryRules.checkDescription(reason, field: "reason", into: &validation)
        try validation.validate()
        try await store.deleteAlias(caller, modelName: name, alias: alias, reason: reason)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    @Sendable func aliasHistory(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let alias = context.parameters.get("alias") == nil ? nil : try context.pathParameter("alias")
        let page = try PageRequest<AliasHistoryCursor>(request, defaultSize: Self.maxPageSize, maxSize: Self.maxPageSize)
        let (moves, next) = try await store.aliasHistory(caller, modelName: try context.pathParameter("name"), alias: alias,
                                                         limit: page.size, after: page.cursor?.after)
        return try .json(Page(items: moves.map(AliasMoveHistoryBody.init), nextPageToken: next.map { PageToken.encode(AliasHistoryCursor(after: $0)) }))
    }

    @Sendable func promotions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let page = try PageRequest<PromotionCursor>(request, defaultSize: Self.maxPageSize, maxSize: Self.maxPageSize)
        let (promotions, next) = try await store.promotions(caller, modelName: try context.pathParameter("name"), limit: page.size, after: page.cursor)
        return try .json(Page(items: promotions.map { PromotionBody(promotion: $0) }, nextPageToken: next.map(PageToken.encode)))
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }

    /// A LIKE pattern matching names that start with `prefix` literally.
    static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

/// An alias move or history entry; a deletion has a null `version`.
struct AliasMoveHistoryBody: Encodable {
    let move: AliasMove

    enum CodingKeys: String, CodingKey {
        case alias, previousVersion = "previous_version", version, reason, promotionID = "promotion_id", movedBy = "moved_by", movedAt = "moved_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(move.alias, forKey: .alias)
        try container.encode(move.previousVersion, forKey: .previousVersion)
        try container.encode(move.version, forKey: .version)
        try container.encodeIfPresent(move.reason, forKey: .reason)
        try container.encodeIfPresent(move.promotionID?.uuidString.lowercased(), forKey: .promotionID)
        try container.encode(move.movedBy, forKey: .movedBy)
        try container.encode(move.movedAt, forKey: .movedAt)
    }
}

/// Maps ``RegistryError`` to the native API's problems.
struct RegistryErrorMiddleware: RouterMiddleware {
    typealias Context = MaestroRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as RegistryError {
            throw error.problem
        }
    }
}
