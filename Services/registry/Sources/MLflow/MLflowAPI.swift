import Foundation
import Hummingbird
import MaestroEvents
import MaestroService

/// MLflow's model registry REST API (`model_registry.proto`) under `/api/2.0/mlflow/`, over the
/// same store as the native API: one model, one table set.
struct MLflowAPI: Sendable {
    let store: RegistryStore
    let cache: AliasCache?
    static let maxModelResults = 1000
    static let maxVersionResults = 10_000

    func register(on router: Router<MaestroRequestContext>) {
        for prefix in ["api/2.0/mlflow", "api/2.0/preview/mlflow"] {
            let api = router.group(RouterPath(prefix)).add(middleware: MLflowErrorMiddleware())
            api.post("registered-models/create", use: createModel)
            api.get("registered-models/get", use: getModel)
            api.post("registered-models/rename", use: renameModel)
            api.patch("registered-models/update", use: updateModel)
            api.delete("registered-models/delete", use: deleteModel)
            api.get("registered-models/search", use: searchModels)
            api.post("registered-models/get-latest-versions", use: latestVersions)
            api.get("registered-models/get-latest-versions", use: latestVersions)
            api.post("registered-models/set-tag", use: setModelTag)
            api.delete("registered-models/delete-tag", use: deleteModelTag)
            api.post("registered-models/alias", use: setAlias)
            api.delete("registered-models/alias", use: deleteAlias)
            api.get("registered-models/alias", use: getAlias)
            api.post("model-versions/create", use: createVersion)
            api.get("model-versions/get", use: getVersion)
            api.patch("model-versions/update", use: updateVersion)
            api.delete("model-versions/delete", use: deleteVersion)
            api.get("model-versions/search", use: searchVersions)
            api.post("model-versions/transition-stage", use: transitionStage)
            api.get("model-versions/get-download-uri", use: downloadURI)
            api.post("model-versions/set-tag", use: setVersionTag)
            api.delete("model-versions/delete-tag", use: deleteVersionTag)
        }
    }

    // MARK: registered models

    @Sendable func createModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
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
        let caller = try context.caller(.viewer)
        let name = try Self.query(request).required("name")
        let model = try await store.model(named: name, caller)
        let latest = try await store.latestVersions(caller, modelNames: [name])[name] ?? []
        return try Self.json(["registered_model": MLflowRegisteredModel(model, latest: latest)])
    }

    @Sendable func renameModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let (name, newName) = (try body.required("name"), try body.required("new_name"))
        var validation = FieldValidation()
        RegistryRules.checkName(newName, field: "new_name", into: &validation)
        try validation.validate()
        let model = try await store.renameModel(caller, name: name, to: newName)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        let latest = try await store.latestVersions(caller, modelNames: [newName])[newName] ?? []
        return try Self.json(["registered_model": MLflowRegisteredModel(model, latest: latest)])
    }

    @Sendable func updateModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        var validation = FieldValidation()
        RegistryRules.checkDescription(body.string("description"), into: &validation)
        try validation.validate()
        let model = try await store.updateModel(caller, name: name, description: body.string("description").map { .some($0) })
        let latest = try await store.latestVersions(caller, modelNames: [name])[name] ?? []
        return try Self.json(["registered_model": MLflowRegisteredModel(model, latest: latest)])
    }

    @Sendable func deleteModel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let name = try await Self.body(request, context: context).required("name")
        try await store.deleteModel(caller, name: name)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func searchModels(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let query = Self.query(request)
        let limit = try query.maxResults(default: 100, max: Self.maxModelResults)
        let filter = try MLflowSearch.modelFilter(query.string("filter"))
        let order = try MLflowSearch.modelOrder(query.all("order_by"))
        let cursor = try query.string("page_token").map { try PageToken.decode($0, as: ModelCursor.self) }
        let (models, next) = try await store.searchModels(caller, filter: filter, order: order, limit: limit, after: cursor)
        let latest = try await store.latestVersions(caller, modelNames: models.map(\.name))
        return try Self.json(ModelSearchResponse(registeredModels: models.map { MLflowRegisteredModel($0, latest: latest[$0.name] ?? []) },
                                                 nextPageToken: next.map(PageToken.encode)))
    }

    @Sendable func latestVersions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
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
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let (name, key, value) = (try body.required("name"), try body.required("key"), body.string("value") ?? "")
        var validation = FieldValidation()
        RegistryRules.checkTag(key: key, value: value, into: &validation)
        try validation.validate()
        try await store.setModelTag(caller, name: name, key: key, value: value)
        return Self.empty
    }

    @Sendable func deleteModelTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        try await store.deleteModelTag(caller, name: try body.required("name"), key: try body.required("key"))
        return Self.empty
    }

    /// A protected alias is not moved here either: the request opens a promotion, and the
    /// answer is MLflow's empty success (the alias moves when governance approves).
    @Sendable func setAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let (name, alias, version) = (try body.required("name"), try body.required("alias"), try body.version())
        var validation = FieldValidation()
        RegistryRules.checkAlias(alias, into: &validation)
        try validation.validate()
        _ = try await store.setAlias(caller, modelName: name, alias: alias, version: version, reason: nil)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func deleteAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let (name, alias) = (try body.required("name"), try body.required("alias"))
        if try await store.model(named: name, caller).protectedAliases.contains(alias) { _ = try context.require(.admin) }
        try await store.deleteAlias(caller, modelName: name, alias: alias, reason: nil)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func getAlias(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
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

    // MARK: model versions

    @Sendable func createVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        var new = NewModelVersion(source: try body.required("source"))
        new.runID = body.string("run_id").flatMap { $0.isEmpty ? nil : $0 }
        new.runLink = body.string("run_link").flatMap { $0.isEmpty ? nil : $0 }
        new.description = body.string("description")
        new.tags = try body.tags()
        var validation = FieldValidation()
        RegistryRules.checkSource(new.source, into: &validation)
        if let runID = new.runID { validation.check(runID.count <= 256, "run_id", "must be at most 256 characters") }
        if let runLink = new.runLink { validation.check(runLink.count <= RegistryRules.maxURILength, "run_link", "is too long") }
        RegistryRules.checkTags(new.tags, into: &validation)
        RegistryRules.checkDescription(new.description, into: &validation)
        try validation.validate()
        let version = try await store.createVersion(caller, modelName: name, new)
        return try Self.json(["model_version": MLflowModelVersion(version)])
    }

    @Sendable func getVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let query = Self.query(request)
        let version = try await store.version(try query.required("name"), try query.version(), caller)
        return try Self.json(["model_version": MLflowModelVersion(version)])
    }

    @Sendable func updateVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let (name, number) = (try body.required("name"), try body.version())
        var validation = FieldValidation()
        RegistryRules.checkDescription(body.string("description"), into: &validation)
        try validation.validate()
        let version = try await store.updateVersion(caller, modelName: name, version: number, ModelVersionChange(description: body.string("description")))
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return try Self.json(["model_version": MLflowModelVersion(version)])
    }

    @Sendable func deleteVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        try await store.deleteVersion(caller, modelName: name, version: try body.version())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func searchVersions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let query = Self.query(request)
        let limit = try query.maxResults(default: Self.maxVersionResults, max: Self.maxVersionResults)
        let filter = try MLflowSearch.versionFilter(query.string("filter"))
        let order = try MLflowSearch.versionOrder(query.all("order_by"))
        let cursor = try query.string("page_token").map { try PageToken.decode($0, as: VersionCursor.self) }
        let (versions, next) = try await store.searchVersions(caller, filter: filter, order: order, limit: limit, after: cursor)
        return try Self.json(VersionSearchResponse(modelVersions: versions.map(MLflowModelVersion.init), nextPageToken: next.map(PageToken.encode)))
    }

    @Sendable func transitionStage(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let (name, number, stageText) = (try body.required("name"), try body.version(), try body.required("stage"))
        guard let stage = MLflowSearch.stage(stageText) else { throw MLflowError.invalid("Invalid Model Version stage: \(stageText)") }
        let version = try await store.transitionStage(caller, modelName: name, version: number, to: stage,
                                                      archiveExisting: body.bool("archive_existing_versions") ?? false)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return try Self.json(["model_version": MLflowModelVersion(version)])
    }

    @Sendable func downloadURI(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.viewer)
        let query = Self.query(request)
        let version = try await store.version(try query.required("name"), try query.version(), caller)
        return try Self.json(["artifact_uri": version.source])
    }

    @Sendable func setVersionTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let (name, number, key, value) = (try body.required("name"), try body.version(), try body.required("key"), body.string("value") ?? "")
        var validation = FieldValidation()
        RegistryRules.checkTag(key: key, value: value, into: &validation)
        try validation.validate()
        try await store.setVersionTag(caller, modelName: name, version: number, key: key, value: value)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func deleteVersionTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller(.editor)
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        try await store.deleteVersionTag(caller, modelName: name, version: try body.version(), key: try body.required("key"))
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    // MARK: helpers

    static let empty = Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))

    static func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }

    static func query(_ request: Request) -> MLflowParameters {
        MLflowParameters(query: request.formQuery)
    }

    /// A JSON body (any content type, as MLflow's server accepts); an empty body is `{}`.
    static func body(_ request: Request, context: MaestroRequestContext) async throws -> MLflowParameters {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw HTTPProblem.contentTooLarge(limit: context.maxUploadSize)
        }
        guard buffer.readableBytes > 0 else { return MLflowParameters(json: [:]) }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)) else {
            throw MLflowError(errorCode: "MALFORMED_REQUEST", message: "The request body is not a JSON object.", status: .badRequest)
        }
        return MLflowParameters(json: object)
    }
}

struct ModelSearchResponse: Encodable {
    let registeredModels: [MLflowRegisteredModel]
    let nextPageToken: String?

    enum CodingKeys: String, CodingKey {
        case registeredModels = "registered_models", nextPageToken = "next_page_token"
    }
}

struct VersionSearchResponse: Encodable {
    let modelVersions: [MLflowModelVersion]
    let nextPageToken: String?

    enum CodingKeys: String, CodingKey {
        case modelVersions = "model_versions", nextPageToken = "next_page_token"
    }
}
