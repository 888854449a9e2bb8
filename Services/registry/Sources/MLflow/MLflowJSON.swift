import Foundation
import Hummingbird
import Logging
import MaestroDomain
import MaestroEvents
import MaestroService

/// MLflow's REST shapes (model_registry.proto as JSON): times in epoch milliseconds, versions
/// as strings, tags as `[{key, value}]`.
struct MLflowTag: Codable, Sendable {
    var key: String
    var value: String?
}

struct MLflowModelVersion: Encodable {
    let name: String
    let version: String
    let creationTimestamp: Int64
    let lastUpdatedTimestamp: Int64
    let userID: String
    let currentStage: String
    let description: String
    let source: String
    let runID: String
    let status: String
    let statusMessage: String?
    let tags: [MLflowTag]
    let runLink: String
    let aliases: [String]

    init(_ version: ModelVersion) {
        name = version.modelName
        self.version = String(version.version)
        creationTimestamp = version.createdAt.epochMilliseconds
        lastUpdatedTimestamp = version.updatedAt.epochMilliseconds
        userID = version.createdBy
        currentStage = version.stage.rawValue
        description = version.description ?? ""
        source = version.source
        runID = version.runID ?? ""
        status = version.status.rawValue
        statusMessage = version.statusMessage
        tags = version.tags.sorted { $0.key < $1.key }.map { MLflowTag(key: $0.key, value: $0.value) }
        runLink = version.runLink ?? ""
        aliases = version.aliases
    }

    enum CodingKeys: String, CodingKey {
        case name, version, creationTimestamp = "creation_timestamp", lastUpdatedTimestamp = "last_updated_timestamp", userID = "user_id"
        case currentStage = "current_stage", description, source, runID = "run_id", status, statusMessage = "status_message", tags
        case runLink = "run_link", aliases
    }
}

struct MLflowAlias: Encodable {
    let alias: String
    let version: String
}

struct MLflowRegisteredModel: Encodable {
    let name: String
    let creationTimestamp: Int64
    let lastUpdatedTimestamp: Int64
    let userID: String
    let description: String
    let latestVersions: [MLflowModelVersion]
    let tags: [MLflowTag]
    let aliases: [MLflowAlias]

    init(_ model: RegisteredModel, latest: [ModelVersion]) {
        name = model.name
        creationTimestamp = model.createdAt.epochMilliseconds
        lastUpdatedTimestamp = model.updatedAt.epochMilliseconds
        userID = model.createdBy
        description = model.description ?? ""
        latestVersions = latest.map(MLflowModelVersion.init)
        tags = model.tags.sorted { $0.key < $1.key }.map { MLflowTag(key: $0.key, value: $0.value) }
        aliases = model.aliases.sorted { $0.key < $1.key }.map { MLflowAlias(alias: $0.key, version: String($0.value)) }
    }

    enum CodingKeys: String, CodingKey {
        case name, creationTimestamp = "creation_timestamp", lastUpdatedTimestamp = "last_updated_timestamp", userID = "user_id"
        case description, latestVersions = "latest_versions", tags, aliases
    }
}

/// MLflow's error body: `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "…"}`, with the
/// HTTP status MLflow's server uses for the code.
struct MLflowError: Error, Encodable {
    let errorCode: String
    let message: String
    let status: HTTPResponse.Status

    static func invalid(_ message: String) -> MLflowError {
        MLflowError(errorCode: "INVALID_PARAMETER_VALUE", message: message, status: .badRequest)
    }

    init(errorCode: String, message: String, status: HTTPResponse.Status) {
        self.errorCode = errorCode
        self.message = message
        self.status = status
    }

    /// A protected alias (or stage) did not move: a promotion is pending approval. MLflow
    /// clients raise this (`RestException: PERMISSION_DENIED: …`) instead of reporting a move
    /// that did not happen; the message names the pending promotion.
    static func approvalRequired(_ promotion: Promotion) -> MLflowError {
        let id = promotion.id.uuidString.lowercased()
        let target = promotion.stage.map { "Stage '\($0.rawValue)'" } ?? "'\(promotion.alias)'"
        return MLflowError(errorCode: "PERMISSION_DENIED", message: """
            Approval required: \(target) of registered model '\(promotion.modelName)' is protected and did not move. \
            Promotion \(id) to version \(promotion.version) is pending approval in governance \
            (GET /v1/models/\(promotion.modelName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? promotion.modelName)/promotions).
            """, status: .forbidden)
    }

    init(_ error: RegistryError) {
        switch error {
        case .notFound: self.init(errorCode: "RESOURCE_DOES_NOT_EXIST", message: error.description, status: .notFound)
        case .alreadyExists: self.init(errorCode: "RESOURCE_ALREADY_EXISTS", message: error.description, status: .badRequest)
        case .stale, .conflict: self.init(errorCode: "INVALID_STATE", message: error.description, status: .badRequest)
        case .invalid: self.init(errorCode: "INVALID_PARAMETER_VALUE", message: error.description, status: .badRequest)
        case .forbidden: self.init(errorCode: "PERMISSION_DENIED", message: error.description, status: .forbidden)
        }
    }

    init(_ problem: HTTPProblem) {
        let message = problem.errors.isEmpty ? problem.detail : problem.detail + " " + problem.errors.map { "\($0.field ?? "body"): \($0.message)" }.joined(separator: "; ")
        let code = switch problem.status.code {
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "RESOURCE_DOES_NOT_EXIST"
        case 409: "RESOURCE_ALREADY_EXISTS"
        case 429: "REQUEST_LIMIT_EXCEEDED"
        case 500...: "INTERNAL_ERROR"
        default: "INVALID_PARAMETER_VALUE"
        }
        self.init(errorCode: code, message: message, status: problem.status.code == 422 || problem.status.code == 415 ? .badRequest : problem.status)
    }

    enum CodingKeys: String, CodingKey {
        case errorCode = "error_code", message
    }

    var response: Response {
        let body = (try? JSONEncoder().encode(self)) ?? Data(#"{"error_code":"INTERNAL_ERROR"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension MLflowAPI {
    static let prefixes = ["/api/2.0/mlflow/", "/api/2.0/preview/mlflow/"]

    /// Every failure on the MLflow paths in MLflow's shape: the MLflow layer's own refusals and
    /// the registry's with MLflow's error codes, the kit's (401, 413, 429, an unknown route…)
    /// from their problem.
    static let errorFormat = CompatibilityErrorFormat(pathPrefixes: prefixes, renderOwn: { error in
        switch error {
        case let error as MLflowError: error.response
        case let error as RegistryError: MLflowError(error).response
        default: nil
        }
    }) { problem in
        problem.status == .notFound && problem.errors.isEmpty && problem.detail == HTTPProblem.notFound().detail
            ? MLflowError(errorCode: "ENDPOINT_NOT_FOUND", message: "No such MLflow endpoint.", status: .notFound).response
            : MLflowError(problem).response
    }
}

extension Date {
    var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
