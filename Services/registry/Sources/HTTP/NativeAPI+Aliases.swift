import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// `/v1/models/{name}/aliases`: moves, resolves (cached), history and promotions.
extension NativeAPI {

    @Sendable func setAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
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

    /// Served from the alias cache when no `at` is given. On ``ServiceRoutes/cachedReads``: the
    /// cache read carries the request's admission checks, one Redis round trip for both.
    @Sendable func resolveAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let (name, alias) = (try context.pathParameter("name"), try context.pathParameter("alias"))
        if let at = request.formQuery["at"] {
            guard let time = RFC3339.parse(at) else {
                throw HTTPProblem.badRequest("at must be an RFC 3339 time.", errors: [.init(field: "at", message: "must be an RFC 3339 time")])
            }
            try await context.admit()
            return try .json(VersionBody(try await store.resolveAlias(caller, modelName: name, alias: alias, at: time)))
        }
        if let cache {
            let replies = try await context.redisRead(cache.lookup(tenant: caller.tenant, model: name, alias: alias), on: cache.redis)
            if let body = cache.answer(from: replies) {
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            }
        } else {
            try await context.admit()
        }
        let version = try await store.resolveAlias(caller, modelName: name, alias: alias)
        let body = try EventCoding.makeEncoder().encode(VersionBody(version))
        await cache?.put(tenant: caller.tenant, model: name, alias: alias, body: Array(body))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Deleting a protected alias takes an admin: it is the one way to change one without governance.
    @Sendable func deleteAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let (name, alias) = (try context.pathParameter("name"), try context.pathParameter("alias"))
        let model = try await store.model(named: name, caller)
        if model.isProtected(alias) { _ = try context.require(.admin) }
        let reason = request.formQuery["reason"]
        var validation = FieldValidation()
        RegistryRules.checkDescription(reason, field: "reason", into: &validation)
        try validation.validate()
        try await store.deleteAlias(caller, modelName: name, alias: alias, reason: reason)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Response(status: .noContent)
    }

    @Sendable func aliasHistory(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let alias = context.parameters.get("alias") == nil ? nil : try context.pathParameter("alias")
        let page = try PageRequest<AliasHistoryCursor>(request, defaultSize: Self.maxPageSize, maxSize: Self.maxPageSize)
        let (moves, next) = try await store.aliasHistory(caller, modelName: try context.pathParameter("name"), alias: alias,
                                                         limit: page.size, after: page.cursor?.after)
        return try .json(Page(items: moves.map(AliasMoveHistoryBody.init), nextPageToken: next.map { PageToken.encode(AliasHistoryCursor(after: $0)) }))
    }

    @Sendable func promotions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let page = try PageRequest<PromotionCursor>(request, defaultSize: Self.maxPageSize, maxSize: Self.maxPageSize)
        let (promotions, next) = try await store.promotions(caller, modelName: try context.pathParameter("name"), limit: page.size, after: page.cursor)
        return try .json(Page(items: promotions.map { PromotionBody(promotion: $0) }, nextPageToken: next.map(PageToken.encode)))
    }

    /// One promotion, e.g. to follow it after a 202 or an approval until it is decided.
    @Sendable func promotion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let id = try context.uuidParameter("id")
        let (promotions, _) = try await store.promotions(try context.caller, modelName: try context.pathParameter("name"), id: id, limit: 1)
        guard let promotion = promotions.first else { throw HTTPProblem.notFound("Promotion \(id.uuidString.lowercased()) not found.") }
        return try .json(PromotionBody(promotion: promotion))
    }
}
