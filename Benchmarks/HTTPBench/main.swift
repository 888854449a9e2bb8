// The HTTP kit under load for `make bench`: the full middleware chain (tracing, request id,
// access log, metrics, problems, body limit, ES256 token verification with cached JWKS) in
// front of an authenticated GET that does no I/O. Configured from the environment like a
// service (MAESTRO_HTTP_PORT, MAESTRO_JWKS_FILE, MAESTRO_LOG_LEVEL, OTEL_*); `wrk` drives it.
//
// HTTP_BENCH_TRACING picks what tracing costs are in the chain:
// - `absent`: no tracing middleware at all (the baseline);
// - `off` (default): the middleware with no tracer installed, as a service runs without OTEL_*;
// - `on`: the OTLP tracer from the OTEL_* variables, which must name an endpoint.
import Foundation
import Hummingbird
import Logging
import MaestroDomain
import MaestroService
import ServiceLifecycle

let environment = ProcessInfo.processInfo.environment
let mode = environment["HTTP_BENCH_TRACING"] ?? "off"
guard ["absent", "off", "on"].contains(mode) else { fatalError("HTTP_BENCH_TRACING must be absent, off or on") }
let configuration = try ServiceConfiguration(environment: environment, defaultPort: 7199)
let tracer = mode == "on" ? try ServiceTracing.bootstrap(serviceName: "http-bench", environment: environment) : nil
if mode == "on" && tracer == nil { fatalError("HTTP_BENCH_TRACING=on needs OTEL_EXPORTER_OTLP_ENDPOINT") }
ServiceLogging.bootstrap(configuration)
ServiceMetrics.bootstrap()
let logger = Logger(label: "http-bench")
let verifier = TokenVerifier(configuration, logger: logger)
try await verifier.load()

struct Pong: ResponseEncodable {
    let ok: Bool
}

let router = ServiceRunner.router(configuration: configuration, verifier: verifier, redis: nil, tracing: mode != "absent", logger: logger) { routes in
    routes.requiring(.viewer).get("/v1/ping") { _, context -> Pong in
        _ = try context.caller
        return Pong(ok: true)
    }
}
let app = Application(router: router, configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort)),
                      services: tracer.map { [$0] } ?? [], logger: logger)
try await app.runService()
