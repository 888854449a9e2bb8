import Foundation
import Hummingbird
import Logging
import MaestroDomain
import Metrics
import Prometheus

/// A service's OpenAPI contract, served at `/openapi.yaml`.
public struct OpenAPIDocument: Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(path: String) throws {
        self.bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// The routes every service has, open to anyone: `/health/live`, `/health/ready` and `/metrics`.
public enum StandardRoutes {
    public static func add(to router: some RouterMethods<MaestroRequestContext>, readiness: [ReadinessCheck], logger: Logger) {
        ServiceMetrics.bootstrap()
        router.get("/health/live") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"live"}"#)))
        }
        router.get("/health/ready") { request, context in
            let failures = await withTaskGroup(of: (String, String?).self) { group in
                for check in readiness {
                    group.addTask { (check.name, await check.run(logger: logger)) }
                }
                var failures: [(String, String)] = []
                for await (name, failure) in group {
                    if let failure { failures.append((name, failure)) }
                }
                return failures.sorted { $0.0 < $1.0 }
            }
            guard failures.isEmpty else {
                let names = failures.map(\.0).joined(separator: ", ")
                return try HTTPProblem.serviceUnavailable("Not ready: \(names).", errors: failures.map { .init(field: $0.0, message: $0.1) })
                    .response(from: request, context: context)
            }
            let names = readiness.map { "\"\($0.name)\":\"ok\"" }.joined(separator: ",")
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ready","checks":{\#(names)}}"#)))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: ServiceMetrics.registry.emitToBuffer())))
        }
    }

    /// `GET /openapi.yaml`, open like `/health/*` and `/metrics`: the contract is public, so
    /// tools and people can read it before they sign in.
    public static func addOpenAPI(_ openAPI: OpenAPIDocument, to group: some RouterMethods<MaestroRequestContext>) {
        group.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: openAPI.bytes)))
        }
    }
}
