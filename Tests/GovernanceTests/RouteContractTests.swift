import Foundation
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroService
import Testing
@testable import Governance

@Suite("Governance routes", .serialized, .timeLimit(.minutes(2)))
struct RouteContractTests {
    @Test("every registered route is in openapi.yaml, and every documented route is registered")
    func routesMatchOpenAPI() async throws {
        try await GovernanceHarness.with { governance in
            let registered = RouteContract.registered(governance.router)
            let documented = RouteContract.documented(try GovernanceService.openAPI())
            #expect(!documented.isEmpty)
            #expect(registered.subtracting(documented).sorted() == [], "registered but not documented")
            #expect(documented.subtracting(registered).sorted() == [], "documented but not registered")
        }
    }

    @Test("every route except the declared open ones refuses an anonymous request with 401")
    func anonymousRequestsAreRefused() async throws {
        try await GovernanceHarness.with { governance in
            let reachable = try await RouteContract.reachableAnonymously(governance.router)
            #expect(reachable == RouteContract.kitOpenRoutes.union([RouteContract.Route("POST", "/v1/tokens"), RouteContract.Route("GET", "/.well-known/jwks.json")]))
        }
    }

    @Test("it publishes its own domain's events on its catalog topic, and its consumer groups keep their names")
    func eventsAndConsumers() async throws {
        #expect(GovernanceService.Events.topic == GovernanceService.identity.topic)
        #expect(GovernanceService.Events.source == GovernanceService.identity.eventSource)
        try await GovernanceHarness.with { governance in
            #expect(governance.service.consumers.map(\.name) == ["governance.promotion-requests"])
        }
    }
}
