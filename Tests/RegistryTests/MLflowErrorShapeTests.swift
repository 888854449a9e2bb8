import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroTestSupport
import Testing
@testable import Registry

/// MLflow clients read `error_code` from the body, so every failure on the MLflow paths, the
/// kit's own included, has MLflow's shape.
@Suite("MLflow error shape", .serialized, .timeLimit(.minutes(2)))
struct MLflowErrorShapeTests {
    @Test("no token, an unknown endpoint, an unknown model and a bad filter each answer MLflow's error body")
    func errorBodies() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                let anonymous = try await client.execute(uri: "/api/2.0/mlflow/registered-models/get?name=x", method: .get)
                #expect(anonymous.status == .unauthorized)
                #expect(try anonymous.json["error_code"] == .string("UNAUTHENTICATED"))
                #expect(anonymous.headers[.wwwAuthenticate] != nil)

                let unknownRoute = try await client.execute(uri: "/api/2.0/mlflow/registered-models/frobnicate", method: .get, headers: .bearer(token))
                #expect(unknownRoute.status == .notFound)
                #expect(try unknownRoute.json["error_code"] == .string("ENDPOINT_NOT_FOUND"))

                let missing = try await client.execute(uri: "/api/2.0/mlflow/registered-models/get?name=nope", method: .get, headers: .bearer(token))
                #expect(missing.status == .notFound)
                #expect(try missing.json["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))

                let badFilter = try await client.execute(uri: "/api/2.0/mlflow/registered-models/search?filter=name%20CONTAINS%20%27x%27",
                                                         method: .get, headers: .bearer(token))
                #expect(badFilter.status == .badRequest)
                #expect(try badFilter.json["error_code"] == .string("INVALID_PARAMETER_VALUE"))

                // A filter has at most 50 conditions, in every MLflow search; tag conditions of all kinds work up to it.
                func search(_ conditions: [String]) async throws -> TestResponse {
                    let filter = conditions.joined(separator: " AND ").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    return try await client.execute(uri: "/api/2.0/mlflow/model-versions/search?filter=\(filter)", method: .get, headers: .bearer(token))
                }
                let mixed = (0..<49).map { "tags.k\($0) != 'v'" } + ["tags.env LIKE 'pr%'"]
                #expect(try await search(mixed).status == .ok)
                let tooMany = try await search(mixed + ["name = 'x'"])
                #expect(tooMany.status == .badRequest)
                #expect(try tooMany.json["error_code"] == .string("INVALID_PARAMETER_VALUE"))

                // A protected alias set through MLflow is an error the client raises, naming the pending promotion.
                let model = "mlflow-protected"
                #expect(try await client.execute(uri: "/api/2.0/mlflow/registered-models/create", method: .post, headers: .json(token),
                                                 body: ByteBuffer(string: #"{"name":"\#(model)"}"#)).status == .ok)
                #expect(try await client.execute(uri: "/api/2.0/mlflow/model-versions/create", method: .post, headers: .json(token),
                                                 body: ByteBuffer(string: #"{"name":"\#(model)","source":"s3://m/1"}"#)).status == .ok)
                let pending = try await client.execute(uri: "/api/2.0/mlflow/registered-models/alias", method: .post, headers: .json(token),
                                                       body: ByteBuffer(string: #"{"name":"\#(model)","alias":"champion","version":"1"}"#))
                #expect(pending.status == .forbidden)
                #expect(try pending.json["error_code"] == .string("PERMISSION_DENIED"))
                guard case .string(let message)? = try pending.json["message"] else { throw TestSetupError("no message") }
                #expect(message.hasPrefix("Approval required: 'champion' of registered model 'mlflow-protected' is protected and did not move."))
                let promotions = try await client.execute(uri: "/v1/models/\(model)/promotions", method: .get, headers: .bearer(token))
                guard case .array(let items)? = try promotions.json["items"], case .object(let first)? = items.first, case .string(let id)? = first["id"] else {
                    throw TestSetupError("no pending promotion")
                }
                #expect(message.contains(id))

                // A number beyond Int64 where a version belongs is refused, not a crash.
                for version in ["-1e300", "1e300", "9223372036854775808", "1.5"] {
                    let huge = try await client.execute(uri: "/api/2.0/mlflow/registered-models/alias", method: .post, headers: .json(token),
                                                        body: ByteBuffer(string: #"{"name":"\#(model)","alias":"candidate","version":\#(version)}"#))
                    #expect(huge.status == .badRequest, "\(version)")
                    #expect(try huge.json["error_code"] == .string("INVALID_PARAMETER_VALUE"), "\(version)")
                }

                // The native API keeps problem+json for the same failure.
                let native = try await client.execute(uri: "/v1/models/nope", method: .get)
                #expect(native.headers[.contentType] == "application/problem+json")
            }
        }
    }
}
