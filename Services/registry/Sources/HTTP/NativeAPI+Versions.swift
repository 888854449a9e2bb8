import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// `/v1/models/{name}/versions` and `/v1/versions`: versions, their tags, search and cards.
extension NativeAPI {

    @Sendable func createVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
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
        _ = try await store.model(named: name, try context.caller)
        var filter = VersionFilter()
        filter.modelName = [.equals(name)]
        return try await versions(request, context: context, filter: filter)
    }

    /// `GET /v1/versions?model=&tag=key:value&metric=auc>=0.9&run_id=&stage=&status=&order_by=`
    @Sendable func searchVersions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let query = request.formQuery
        try SearchLimits.checkFilterTerms(["model", "run_id", "tag", "metric", "stage", "status"].reduce(0) { $0 + query.all($1).count }, field: "tag")
        var filter = VersionFilter()
        if let model = query["model"] { filter.modelName = [.equals(model)] }
        filter.runID = query.all("run_id")
        filter.tags = try Self.tagFilters(query)
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
        let caller = try context.caller
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
        let version = try await store.version(try context.pathParameter("name"), try context.versionParameter(), try context.caller)
        return try .json(VersionBody(version), etag: ETag(revision: version.revision))
    }

    @Sendable func updateVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let (name, number) = (try context.pathParameter("name"), try context.versionParameter())
        var request = request
        let change = try await request.decodeJSON(as: UpdateVersionRequest.self, context: context).validated()
        let version = try await store.updateVersion(caller, modelName: name, version: number, change, expectedRevision: try request.expectedRevision())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return try .json(VersionBody(version), etag: ETag(revision: version.revision))
    }

    @Sendable func deleteVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let name = try context.pathParameter("name")
        try await store.deleteVersion(caller, modelName: name, version: try context.versionParameter())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    @Sendable func setVersionTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
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
        let caller = try context.caller
        let name = try context.pathParameter("name")
        try await store.deleteVersionTag(caller, modelName: name, version: try context.versionParameter(), key: try context.pathParameter("key"))
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    // MARK: cards

    @Sendable func getCard(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (card, version) = try await store.card(try context.caller, modelName: try context.pathParameter("name"), version: try context.versionParameter())
        return try .json(CardBody(modelName: version.modelName, version: version.version, card: card, completeness: card.completeness,
                                  missingSections: card.missingSections), etag: ETag(revision: version.revision))
    }

    @Sendable func putCard(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let (name, number) = (try context.pathParameter("name"), try context.versionParameter())
        var request = request
        let card = try await request.decodeJSON(as: CardRequest.self, context: context).validated()
        let version = try await store.setCard(caller, modelName: name, version: number, card: card, expectedRevision: try request.expectedRevision())
        return try .json(CardBody(modelName: name, version: number, card: card, completeness: card.completeness, missingSections: card.missingSections),
                         etag: ETag(revision: version.revision))
    }

    @Sendable func getCardMarkdown(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (card, version) = try await store.card(try context.caller, modelName: try context.pathParameter("name"), version: try context.versionParameter())
        return Response(status: .ok, headers: [.contentType: "text/markdown; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: ModelCardMarkdown.render(card, version: version))))
    }
}
