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
