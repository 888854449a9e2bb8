import Tracing

/// W3C trace context in and out of a `traceparent` string: the one way events, Kafka records
/// and outbox rows carry trace context.
///
/// Both directions go through the installed instrument, so with tracing off (no tracer
/// bootstrapped) ``traceParent(of:)`` is `nil` and ``context(continuing:)`` is the top level.
public enum TraceContext {
    /// The W3C header name, also the CloudEvents distributed-tracing extension's name.
    public static let header = "traceparent"

    /// `context` as a `traceparent`; `nil` when nothing is traced.
    public static func traceParent(of context: ServiceContext?) -> String? {
        guard let context else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier[header]
    }

    /// The current task's trace context as a `traceparent`; `nil` when nothing is traced.
    public static var current: String? {
        traceParent(of: ServiceContext.current)
    }

    /// A context that continues `traceParent`; the top-level context when it is `nil` or
    /// malformed (a bad header starts a new trace rather than failing the work).
    public static func context(continuing traceParent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let traceParent else { return context }
        InstrumentationSystem.instrument.extract([header: traceParent], into: &context, using: DictionaryExtractor())
        return context
    }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
