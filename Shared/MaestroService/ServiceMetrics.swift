import CoreMetrics
import Metrics
import Prometheus

/// The process-wide Prometheus registry behind swift-metrics, served at `/metrics`.
///
/// The first use of ``registry`` bootstraps `MetricsSystem` with it, exactly once per
/// process (a second bootstrap would trap). Nothing else in the process may bootstrap
/// `MetricsSystem`. Every metric gets its `# HELP` line from ``MetricHelp``.
public enum ServiceMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DescribedMetricsFactory(registry: registry))
        return registry
    }()

    /// Bootstraps the metrics system if it is not yet; call before creating metrics.
    public static func bootstrap() {
        _ = registry
    }
}

/// What each metric the kit and the services record means: its `# HELP` text. A metric
/// created under a label missing here is still exported, without help; a test holds every
/// label in the code to this table.
public enum MetricHelp {
    public static let texts: [String: String] = [
        "http_requests_total": "HTTP requests answered, by method, route template and status.",
        "http_request_duration_seconds": "Time to answer HTTP requests, by method, route template and status.",
        "maestro_consumer_lag": "Records on a partition after the last one a consumer group handled (from the last fetched high watermark).",
        "maestro_dlq_records_total": "Records a consumer sent to maestro.dlq, by consumer, source topic and reason.",
        "maestro_outbox_backlog": "Outbox events committed and not yet acknowledged by Kafka.",
        "maestro_outbox_oldest_unsent_age_seconds": "Age of the oldest outbox event not yet acknowledged by Kafka; 0 when none waits.",
        "maestro_outbox_publish_latency_seconds": "Time from an outbox event's commit to Kafka's acknowledgement.",
        "maestro_inbox_records": "Event ids in the inbox (events handled, kept for deduplication), by schema.",
        "maestro_token_cache_lookups_total": "Bearer tokens looked up in the verified-token cache, by result (hit or miss).",
        "maestro_postgres_connections_in_use": "PostgreSQL connections held by the service's transactions.",
        "maestro_postgres_connections_max": "PostgreSQL connections the service's pool may open.",
        "maestro_redis_calls_in_flight": "Redis calls queued or running; above maestro_redis_pool_connections, calls wait for a connection.",
        "maestro_redis_pool_connections": "Redis connections in the service's pool.",
        "maestro_token_requests_total": "Token requests to governance (POST /oauth/token, POST /v1/tokens), by grant type (api_key for /v1/tokens) and result (issued, an OAuth error code, rate_limited, error).",
        "maestro_audit_entries_appended_total": "Entries appended to the audit log.",
    ]
}

/// swift-metrics over the Prometheus registry, like `PrometheusMetricsFactory`, with each
/// metric's help text from ``MetricHelp``.
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let durationBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                       .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
                                       .seconds(5), .seconds(10)]
    let valueBuckets: [Double] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricHelp.texts[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: valueBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
