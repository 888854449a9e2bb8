// The HTTP kit under load for `make bench`: the full middleware chain (request id, access
// log, metrics, problems, body limit, ES256 token verification with cached JWKS) in front of
// an authenticated GET that does no I/O. Configured from the environment like a service
// (MAESTRO_HTTP_PORT, MAESTRO_JWKS_FILE, MAESTRO_LOG_LEVEL); `wrk` drives it.
import Foundation
import Hummingbird
import Logging
import MaestroDomain
import MaestroService

let configuration = try ServiceConfiguration(environment: ProcessInfo.processInfo.environment, defaultPort: 7199)
ServiceLogging.bootstrap(configuration)
ServiceMetrics.bootstrap()
let logger = Logger(label: "http-bench")
let verifier = TokenVerifier(source: configuration.keySource, logger: logger)
try await verifier.load()

struct Pong: ResponseEncodable {
    let ok: Bool
}

let router = ServiceRunner.router(configuration: configuration, verifier: verifier, redis: nil, logger: logger) { routes in
    routes.requiring(.viewer).get("/v1/ping") { _, context -> Pong in
        _ = try context.caller
        return Pong(ok: true)
    }
}
let app = Application(router: router, configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort)), logger: logger)
try await app.runService()
