import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// MLflow's `model-versions/*` endpoints.
extension MLflowAPI {

    @Sendable func createVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
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
        let caller = try context.caller
        let query = Self.query(request)
        let version = try await store.version(try query.required("name"), try query.version(), caller)
        return try Self.json(["model_version": MLflowModelVersion(version)])
    }

    @Sendable func updateVersion(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
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
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        try await store.deleteVersion(caller, modelName: name, version: try body.version())
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }

    @Sendable func searchVersions(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let query = Self.query(request)
        let limit = try query.maxResults(default: Self.maxVersionResults, max: Self.maxVersionResults)
        let filter = try MLflowSearch.versionFilter(query.string("filter"))
        let order = try MLflowSearch.versionOrder(query.all("order_by"))
        let cursor = try query.string("page_token").map { try PageToken.decode($0, as: VersionCursor.self) }
        let (versions, next) = try await store.searchVersions(caller, filter: filter, order: order, limit: limit, after: cursor)
        return try Self.json(VersionSearchResponse(modelVersions: versions.map(MLflowModelVersion.init), nextPageToken: next.map(PageToken.encode)))
    }

    @Sendable func transitionStage(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let (name, number, stageText) = (try body.required("name"), try body.version(), try body.required("stage"))
        guard let stage = MLflowSearch.stage(stageText) else { throw MLflowError.invalid("Invalid Model Version stage: \(stageText)") }
        let outcome = try await store.transitionStage(caller, modelName: name, version: number, to: stage,
                                                      archiveExisting: body.bool("archive_existing_versions") ?? false)
        await cache?.invalidate(tenant: caller.tenant, model: name)
        switch outcome {
        case .moved(let version): return try Self.json(["model_version": MLflowModelVersion(version)])
        case .pending(let promotion): throw MLflowError.approvalRequired(promotion)
        }
    }

    @Sendable func downloadURI(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
        let query = Self.query(request)
        let version = try await store.version(try query.required("name"), try query.version(), caller)
        return try Self.json(["artifact_uri": version.source])
    }

    @Sendable func setVersionTag(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller
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
        let caller = try context.caller
        let body = try await Self.body(request, context: context)
        let name = try body.required("name")
        try await store.deleteVersionTag(caller, modelName: name, version: try body.version(), key: try body.required("key"))
        await cache?.invalidate(tenant: caller.tenant, model: name)
        return Self.empty
    }
}
