import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// MLflow's model registry REST API (`model_registry.proto`) under `/api/2.0/mlflow/`, over the
/// same store as the native API: one model, one table set.
struct MLflowAPI: Sendable {
    let store: RegistryStore
    let cache: AliasCache?
    static let maxModelResults = 1000
    static let maxVersionResults = 10_000

    /// MLflow's protocol reads with POST too, so roles follow the endpoint, not the method:
    /// reads need `viewer`, changes `editor`.
    func register(on routes: ServiceRoutes) {
        for prefix in ["api/2.0/mlflow", "api/2.0/preview/mlflow"] {
            let reads = routes.requiring(.viewer).group(RouterPath(prefix))
            reads.get("registered-models/get", use: getModel)
            reads.get("registered-models/search", use: searchModels)
            reads.post("registered-models/get-latest-versions", use: latestVersions)
            reads.get("registered-models/get-latest-versions", use: latestVersions)
            reads.get("registered-models/alias", use: getAlias)
            reads.get("model-versions/get", use: getVersion)
            reads.get("model-versions/search", use: searchVersions)
            reads.get("model-versions/get-download-uri", use: downloadURI)
            let writes = routes.requiring(.editor).group(RouterPath(prefix))
            writes.post("registered-models/create", use: createModel)
            writes.post("registered-models/rename", use: renameModel)
            writes.patch("registered-models/update", use: updateModel)
            writes.delete("registered-models/delete", use: deleteModel)
            writes.post("registered-models/set-tag", use: setModelTag)
            writes.delete("registered-models/delete-tag", use: deleteModelTag)
            writes.post("registered-models/alias", use: setAlias)
            writes.delete("registered-models/alias", use: deleteAlias)
            writes.post("model-versions/create", use: createVersion)
            writes.patch("model-versions/update", use: updateVersion)
            writes.delete("model-versions/delete", use: deleteVersion)
            writes.post("model-versions/transition-stage", use: transitionStage)
            writes.post("model-versions/set-tag", use: setVersionTag)
            writes.delete("model-versions/delete-tag", use: deleteVersionTag)
        }
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
        let data = Data(buffer.readableBytesView)
        try TextGuard.checkJSON(data)
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
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
