import MaestroTracing
import OTel
import ServiceLifecycle
import Tracing

/// The OpenTelemetry tracer, installed once per test process with no exporter: spans are
/// created, sampled and their W3C context propagates exactly as in a service, but nothing is
/// sent anywhere. Tests that check propagation call ``install()`` first.
public enum TestTracing {
    private static let installed: Void = {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "maestro-tests"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .none
        let backend = try! OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        SpanRecording.turnOn()
        // The tracer hands ended spans to its processor only while its service runs.
        let service = backend.service
        Task.detached { try? await service.run() }
    }()

    public static func install() {
        _ = installed
    }

    /// The trace id of a `traceparent` (`00-<trace id>-<span id>-<flags>`).
    public static func traceID(_ traceParent: String?) -> Substring? {
        traceParent?.split(separator: "-").dropFirst().first
    }

    /// The span id of a `traceparent`.
    public static func spanID(_ traceParent: String?) -> Substring? {
        traceParent?.split(separator: "-").dropFirst(2).first
    }
}
