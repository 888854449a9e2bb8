import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// `/v1/models`: registered models and their tags.
extension NativeAPI {

    @Sendable func createModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        var request = request
        let body = try await request.decodeJSON(as: CreateModelRequest.self, context: context)
        try body.validate()
        // Choosing which aliases and stages need governance is an admin's call; everyone else gets the default sets.
        if body.protectedAliases != nil || body.protectedStages != nil { _ = try context.require(.admin) }
        let model = try await store.createModel(caller, name: body.name, description: body.description, owner: body.owner ?? caller.subject,
                                                tags: body.tags ?? [:], protectedAliases: body.protectedAliases, protectedStages: body.stages)
        var response = try Response.json(ModelBody(model), status: .created, etag: ETag(revision: model.revision))
        response.headers[.location] = "/v1/models/\(Self.escape(model.name))"
        return response
    }

    @Sendable func listModels(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let query = request.formQuery
        try SearchLimits.checkFilterTerms(["name_prefix", "owner", "tag"].reduce(0) { $0 + query.all($1).count }, field: "tag")
        let page = try PageRequest<ModelCursor>(request, defaultSize: Self.defaultPageSize, maxSize: Self.maxPageSize)
        var filter = ModelFilter()
        if let prefix = query["name_prefix"] { filter.name.append(.like(Self.likePrefix(prefix), caseInsensitive: false)) }
        filter.owner = query["owner"]
        filter.tags = try Self.tagFilters(query)
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
        let model = try await store.model(named: try context.pathParameter("name"), try context.caller)
        return try .json(ModelBody(model), etag: ETag(revision: model.revision))
    }

    @Sendable func updateModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let name = try context.pathParameter("name")
        var request = request
        let body = try await request.decodeJSON(as: UpdateModelRequest.self, context: context)
        try body.validate()
        if body.protectedAliases != nil || body.protectedStages != nil { _ = try context.require(.admin) }
        var model = try await store.updateModel(caller, name: name, description: body.description.map { .some($0) },
                                                owner: body.owner.map { .some($0) }, tags: body.tags, expectedRevision: try request.expectedRevision())
        if let aliases = body.protectedAliases {
            model = try await store.setProtectedAliases(caller, name: name, aliases: aliases)
        }
        if let stages = body.stages {
            model = try await store.setProtectedStages(caller, name: name, stages: stages)
        }
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return try .json(ModelBody(model), etag: ETag(revision: model.revision))
    }

    @Sendable func deleteModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let name = try context.pathParameter("name")
        try await store.deleteModel(caller, name: name, expectedRevision: try request.expectedRevision())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    @Sendable func renameModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
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
        let caller = try context.caller
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
        try await store.deleteModelTag(try context.caller, name: try context.pathParameter("name"), key: try context.pathParameter("key"))
        return Response(status: .noContent)
    }
}
