import Logging
import MaestroTracing
import OTel
import ServiceLifecycle
import Tracing

/// Process-wide tracing from the standard `OTEL_*` environment: spans go to an OTLP/HTTP
/// (protobuf) collector when `OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, and tracing is off otherwise (the no-op
/// tracer: spans cost next to nothing and nothing is sent).
///
/// The other variables of the OpenTelemetry SDK specification apply as usual:
/// `OTEL_SERVICE_NAME` (default: the binary's name), `OTEL_TRACES_SAMPLER` and
/// `OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`), `OTEL_BSP_*`,
/// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_RESOURCE_ATTRIBUTES`; `OTEL_SDK_DISABLED=true` or
/// `OTEL_TRACES_EXPORTER=none` turn tracing off. Only traces are exported this way: metrics
/// stay on `/metrics` and logs on standard output.
public enum ServiceTracing {

    /// Whether `environment` asks for traces to be exported.
    public static func isEnabled(in environment: [String: String]) -> Bool {
        let endpoint = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"].contains { !(environment[$0] ?? "").isEmpty }
        let disabled = environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" || environment["OTEL_TRACES_EXPORTER"]?.lowercased() == "none"
        return endpoint && !disabled
    }

    /// Installs the OTLP tracer when ``isEnabled(in:)``; returns the exporter's service,
    /// which the caller runs and stops last (it sends what is still batched when it stops).
    /// Call once per process, before any span starts.
    public static func bootstrap(serviceName: String, environment: [String: String]) throws(ConfigurationError) -> (any Service)? {
        guard isEnabled(in: environment) else { return nil }
        let problems = unsupported(in: environment)
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        do {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            SpanRecording.turnOn()
            return backend.service
        } catch {
            throw ConfigurationError(problems: ["OTEL_*: tracing cannot start: \(error)"])
        }
    }

    /// Settings the OpenTelemetry specification defines that this build cannot honour, one
    /// problem each; checked before the SDK sees them, since it stops the process on some.
    /// Only OTLP over HTTP is built in (the gRPC exporter would add grpc-swift to every build).
    static func unsupported(in environment: [String: String]) -> [String] {
        var problems: [String] = []
        for name in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            guard let value = environment[name], !value.isEmpty, !["http/protobuf", "http/json"].contains(value) else { continue }
            problems.append("\(name)=\(value): only http/protobuf and http/json are supported; point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's OTLP/HTTP port (4318)")
        }
        if let value = environment["OTEL_TRACES_EXPORTER"], !value.isEmpty, !["otlp", "console", "none"].contains(value.lowercased()) {
            problems.append("OTEL_TRACES_EXPORTER=\(value): only otlp, console and none are supported")
        }
        return problems
    }

    /// The log metadata that puts `trace_id` and `span_id` on every line logged within a span.
    public static let logMetadata: Logger.MetadataProvider = OTel.makeLoggingMetadataProvider()
}
