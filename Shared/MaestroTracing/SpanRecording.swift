import Synchronization
import Tracing

/// Whether this process records spans: off until the OTLP tracer is installed.
///
/// With it off, the kit's spans are not even started (``withSpanWhenRecording(_:context:ofKind:isolation:_:)``),
/// so a service without `OTEL_*` settings pays one atomic load per would-be span.
public enum SpanRecording {
    private static let on = Atomic<Bool>(false)

    public static var isOn: Bool { on.load(ordering: .relaxed) }

    /// Called once the tracer is bootstrapped (`InstrumentationSystem.bootstrap`).
    public static func turnOn() {
        on.store(true, ordering: .relaxed)
    }
}

/// Runs `operation` within a new span when ``SpanRecording/isOn``, handing it the span (ended
/// when `operation` returns or throws, with the error recorded); otherwise runs it with `nil`
/// and evaluates neither the name nor the parent context.
public func withSpanWhenRecording<Result>(_ name: @autoclosure () -> String, context: @autoclosure () -> ServiceContext? = nil,
                                          ofKind kind: SpanKind, isolation: isolated (any Actor)? = #isolation,
                                          _ operation: ((any Span)?) async throws -> Result) async rethrows -> Result {
    guard SpanRecording.isOn else { return try await operation(nil) }
    let parent = context() ?? ServiceContext.current ?? .topLevel
    return try await withSpan(name(), context: parent, ofKind: kind, isolation: isolation) { span in
        try await operation(span)
    }
}
