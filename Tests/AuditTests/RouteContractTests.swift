import Foundation
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroService
import Testing
@testable import Audit

@Suite("Audit routes", .serialized, .timeLimit(.minutes(2)))
struct RouteContractTests {
    @Test("every registered route is in openapi.yaml, and every documented route is registered")
    func routesMatchOpenAPI() async throws {
        try await AuditHarness.with { harness in
            let registered = RouteContract.registered(harness.router)
            let documented = RouteContract.documented(try AuditService.openAPI())
            #expect(!documented.isEmpty)
            #expect(registered.subtracting(documented).sorted() == [], "registered but not documented")
            #expect(documented.subtracting(registered).sorted() == [], "documented but not registered")
        }
    }

    @Test("every route except the declared open ones refuses an anonymous request with 401")
    func anonymousRequestsAreRefused() async throws {
        try await AuditHarness.with { harness in
            let reachable = try await RouteContract.reachableAnonymously(harness.router)
            #expect(reachable == RouteContract.kitOpenRoutes.union([RouteContract.Route("GET", "/v1/audit/public-keys")]))
        }
    }

    @Test("it publishes its own domain's events on its catalog topic, and its consumer groups keep their names")
    func eventsAndConsumers() async throws {
        #expect(AuditService.Events.topic == AuditService.identity.topic)
        #expect(AuditService.Events.source == AuditService.identity.eventSource)
        try await AuditHarness.with { harness in
            #expect(harness.service.consumers.map(\.name) == ["audit-log"])
        }
    }

    @Test("every route refuses a token without the role its openapi.yaml names, with 403")
    func rolesAreEnforcedAtRegistration() async throws {
        try await AuditHarness.with { harness in
            let required = RouteContract.documentedRoles(try AuditService.openAPI())
            #expect(required.count > 5)
            let refused = try await RouteContract.refusedForLackingRole(harness.router, required: required) { roles in
                try await harness.token(subject: "probe", tenant: "acme", roles: roles)
            }
            #expect(Set(required.keys).subtracting(refused).sorted() == [], "routes that let a caller without their role through")
        }
    }
}
