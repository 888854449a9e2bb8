import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// MLflow's `registered-models/*` endpoints.
extension MLflowAPI {

    @Sendable func createModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        let tags = try body.tags()
        var validation = FieldValidation()
        RegistryRules.checkName(name, field: "name", into: &validation)
        RegistryRules.checkTags(tags, into: &validation)
        RegistryRules.checkDescription(body.string("description"), into: &validation)
        try validation.validate()
        let model = try await store.createModel(caller, name: name, description: body.string("description"), owner: caller.subject, tags: tags)
        return try Self.json(["registered_model": MLflowRegisteredModel(model, latest: [])])
    }

    @Sendable func getModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let name = try Self.query(request).required("name")
        let model = try await store.model(named: name, caller)
        let latest = try await store.latestVersions(caller, of: [model])[model.name] ?? []
        return try Self.json(["registered_model": MLflowRegisteredModel(model, latest: latest)])
    }

    @Sendable func renameModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let (name, newName) = (try body.required("name"), try body.required("new_name"))
        var validation = FieldValidation()
        RegistryRules.checkName(newName, field: "new_name", into: &validation)
        try validation.validate()
        let model = try await store.renameModel(caller, name: name, to: newName)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        let latest = try await store.latestVersions(caller, of: [model])[model.name] ?? []
        return try Self.json(["registered_model": MLflowRegisteredModel(model, latest: latest)])
    }

    @Sendable func updateModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        var validation = FieldValidation()
        RegistryRules.checkDescription(body.string("description"), into: &validation)
        try validation.validate()
        let model = try await store.updateModel(caller, name: name, description: body.string("description").map { .some($0) })
        let latest = try await store.latestVersions(caller, of: [model])[model.name] ?? []
        return try Self.json(["registered_model": MLflowRegisteredModel(model, latest: latest)])
    }

    @Sendable func deleteModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let name = try await Self.body(request, context: context).required("name")
        try await store.deleteModel(caller, name: name)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func searchModels(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let query = Self.query(request)
        let limit = try query.maxResults(default: 100, max: Self.maxModelResults)
        let filter = try MLflowSearch.modelFilter(query.string("filter"))
        let order = try MLflowSearch.modelOrder(query.all("order_by"))
        let cursor = try query.string("page_token").map { try PageToken.decode($0, as: ModelCursor.self) }
        let (models, latest, next) = try await store.searchModelsWithLatestVersions(caller, filter: filter, order: order, limit: limit, after: cursor)
        return try Self.json(ModelSearchResponse(registeredModels: models.map { MLflowRegisteredModel($0, latest: latest[$0.name] ?? []) },
                                                 nextPageToken: next.map(PageToken.encode)))
    }

    @Sendable func latestVersions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = request.method == .get ? Self.query(request) : try await Self.body(request, context: context)
        let name = try body.required("name")
        var stages: [ModelVersionStage] = []
        for stage in body.strings("stages") {
            guard let value = MLflowSearch.stage(stage) else { throw MLflowError.invalid("Invalid Model Version stage: \(stage)") }
            stages.append(value)
        }
        let versions = try await store.latestVersions(caller, modelName: name, stages: stages)
        return try Self.json(["model_versions": versions.map(MLflowModelVersion.init)])
    }

    @Sendable func setModelTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let (name, key, value) = (try body.required("name"), try body.required("key"), body.string("value") ?? "")
        var validation = FieldValidation()
        RegistryRules.checkTag(key: key, value: value, into: &validation)
        try validation.validate()
        try await store.setModelTag(caller, name: name, key: key, value: value)
        return Self.empty
    }

    @Sendable func deleteModelTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        try await store.deleteModelTag(caller, name: try body.required("name"), key: try body.required("key"))
        return Self.empty
    }

    /// A protected alias is not moved here either: the request opens (or finds) a promotion,
    /// and the answer is an MLflow error the client raises, naming the pending promotion (the
    /// alias moves when governance approves).
    @Sendable func setAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let (name, alias, version) = (try body.required("name"), try body.required("alias"), try body.version())
        var validation = FieldValidation()
        RegistryRules.checkAlias(alias, into: &validation)
        try validation.validate()
        let outcome = try await store.setAlias(caller, modelName: name, alias: alias, version: version, reason: nil)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        if case .pending(let promotion) = outcome { throw MLflowError.approvalRequired(promotion) }
        return Self.empty
    }

    @Sendable func deleteAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let (name, alias) = (try body.required("name"), try body.required("alias"))
        if try await store.model(named: name, caller).isProtected(alias) { _ = try context.require(.admin) }
        try await store.deleteAlias(caller, modelName: name, alias: alias, reason: nil)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func getAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let query = Self.query(request)
        let (name, alias) = (try query.required("name"), try query.required("alias"))
        _ = try await store.model(named: name, caller)
        do {
            return try Self.json(["model_version": MLflowModelVersion(try await store.resolveAlias(caller, modelName: name, alias: alias))])
        } catch RegistryError.notFound {
            // MLflow's server answers an unknown alias with 400 INVALID_PARAMETER_VALUE, not 404.
            throw MLflowError.invalid("Registered model alias \(alias) not found.")
        }
    }
}
