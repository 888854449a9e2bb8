import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroService
import MaestroTestSupport
import Testing

struct DependencyDown: Error {}

@Suite("Health and metrics")
struct HealthAndMetricsTests {
    @Test func liveIs200() async throws {
        let service = try await TestService.make()
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/health/live", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test func readyIs200WhenEveryDependencyAnswers() async throws {
        let service = try await TestService.make(readiness: [
            ReadinessCheck(name: "postgres") {}, ReadinessCheck(name: "redis") {},
        ])
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/health/ready", method: .get)
            #expect(response.status == .ok)
            #expect(response.text.contains(#""postgres":"ok""#))
        }
    }

    @Test func readyIs503NamingEachFailingDependency() async throws {
        let service = try await TestService.make(readiness: [
            ReadinessCheck(name: "postgres") {},
            ReadinessCheck(name: "kafka") { throw DependencyDown() },
            ReadinessCheck(name: "redis", timeout: .milliseconds(200)) { try? await Task.sleep(for: .seconds(30)) },
        ])
        try await service.application.test(.router) { client in
            let started = ContinuousClock.now
            let response = try await client.execute(uri: "/health/ready", method: .get)
            // The hanging check (30 s) was cut at its timeout: the bound only tells the two apart,
            // with room for a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(25))
            #expect(response.status == .serviceUnavailable)
            let problem = try response.problem()
            #expect(problem.status == 503)
            #expect(problem.errors.compactMap(\.field) == ["kafka", "redis"])
            #expect(problem.detail.contains("kafka") && problem.detail.contains("redis") && !problem.detail.contains("postgres"))
        }
    }

    @Test func metricsCountRequestsByRoutePattern() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        try await service.application.test(.router) { client in
            _ = try await client.execute(uri: "/v1/items/widget-42", method: .put, headers: .bearer(token))
            _ = try await client.execute(uri: "/health/live", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(text.contains("http_requests_total"))
            #expect(text.contains("http_request_duration_seconds"))
            // Metrics are process-wide, so other tests' requests show up too: look for this one's series.
            let series = text.split(separator: "\n").filter { $0.hasPrefix("http_requests_total{") }
            #expect(series.contains { $0.contains(#"method="PUT""#) && $0.contains(#"route="/v1/items/{name}""#) && $0.contains(#"status="204""#) })
            #expect(series.contains { $0.contains(#"method="GET""#) && $0.contains(#"route="/health/live""#) && $0.contains(#"status="200""#) })
            #expect(!text.contains("widget-42"))
        }
    }

    @Test("every metric on /metrics has its # HELP and # TYPE lines; token cache lookups are counted")
    func everyMetricIsDescribed() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        try await service.application.test(.router) { client in
            // The same token twice: a miss, then a hit.
            _ = try await client.execute(uri: "/v1/items/a", method: .put, headers: .bearer(token))
            _ = try await client.execute(uri: "/v1/items/b", method: .put, headers: .bearer(token))
            let text = try await client.execute(uri: "/metrics", method: .get).text
            let lines = text.split(separator: "\n")
            let typed = Set(lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
            let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
            #expect(typed.isSuperset(of: ["http_requests_total", "http_request_duration_seconds", "maestro_token_cache_lookups_total"]))
            #expect(typed == helped, "without help: \(typed.subtracting(helped).sorted())")
            let samples = lines.filter { !$0.hasPrefix("#") }
            #expect(samples.contains { $0.hasPrefix(#"maestro_token_cache_lookups_total{result="hit"}"#) })
            #expect(samples.contains { $0.hasPrefix(#"maestro_token_cache_lookups_total{result="miss"}"#) })
        }
    }

    @Test("every metric label in the code has its help text, and every help text belongs to a metric in the code")
    func metricHelpMatchesTheCode() throws {
        let root = ServiceShapeTests.root
        var labels: Set<String> = []
        for folder in ["Shared", "Services"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift", url.lastPathComponent != "ServiceMetrics.swift" else { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                let pattern = /(?:Counter|Gauge|Meter|Recorder|Timer)\(label: "([a-z_]+)"/
                for match in text.matches(of: pattern) { labels.insert(String(match.output.1)) }
            }
        }
        #expect(labels.count >= 10, "the scan found the metrics")
        #expect(labels.subtracting(MetricHelp.texts.keys).isEmpty, "no help for \(labels.subtracting(MetricHelp.texts.keys).sorted())")
        #expect(Set(MetricHelp.texts.keys).subtracting(labels).isEmpty, "help for no metric: \(Set(MetricHelp.texts.keys).subtracting(labels).sorted())")
    }
}
