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
            #expect(ContinuousClock.now - started < .seconds(10))
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
}
